# Atelier — 日本語。サポートセンター：よくある質問、お問い合わせフォーム、お問い合わせ一覧、
# 管理画面のお問い合わせ（crates/app/src/web/support.rs, admin_tickets.rs）。
support-footer-link = ヘルプ
support-nav-link = ヘルプ
support-title = ヘルプとサポート
support-intro = よくある質問への回答です。このスタジオの実際の設定に基づいています。答えが見つからない場合は、お気軽にお問い合わせください。
support-contact-link = お問い合わせ
support-job-help = このポートレートに問題がありますか？サポートに問い合わせる
support-tickets-link = お問い合わせ履歴
# 期間：$unit は "hours" または "days"。
support-span = { $unit ->
    [hours] { $count } 時間
   *[days] { $count } 日
}

support-faq-tokens = トークンと有効期限
support-faq-tokens-cost = ポートレートの作成にはトークンを使います。必要なトークン数は各スタイルに表示されています。失敗したジョブやキャンセルしたジョブのトークンは返却されます。
support-faq-tokens-welcome = { $count ->
    [0] 新規アカウントに無料トークンはありません。
   *[other] 新規アカウントには無料トークンが { $count } 個付与されます（有効期間 { $valid }）。
}
support-faq-tokens-packs = 購入したトークンパックの有効期間：
support-faq-tokens-pack = { $tokens } トークン：{ $valid }
support-faq-tokens-order = 有効期限の近いトークンから使われます。お持ちのトークンと有効期限はトークンのページで確認できます。

support-faq-formats = 写真の形式と解像度
support-faq-formats-accepted = { $formats } 形式のファイルを、{ $size }・{ $megapixels } メガピクセルまで受け付けます。
support-faq-formats-recommended = きれいに仕上げるには、短い辺が 512 ピクセル以上で、顔が中央にはっきり写り、明るく、強いフィルターをかけていない写真をお使いください。

support-faq-deletion = { $upload } 後の自動削除
support-faq-deletion-text = アップロードした写真はアップロードから { $upload } 後に、ポートレートは作成から { $result } 後に削除されます。残したいポートレートは期限内にダウンロードしてください。
support-faq-deletion-saving = ポートレートのページから保存すると、より長く残せます。

support-faq-refunds = 返金
support-faq-refunds-jobs = ポートレートの作成に失敗した場合や、開始前のジョブをキャンセルした場合、トークンは自動的に返却されます。
support-faq-refunds-purchases = トークンパックの返金をご希望の場合は、お問い合わせフォームから購入内容を添えてご連絡ください。返金されると、その購入で付与されたトークンのうち未使用の分は取り消されます。使用済みのトークンは戻りません。

support-faq-styles = スタイル
support-faq-styles-intro = このスタジオで選べるスタイルは次のとおりです：

support-faq-privacy = プライバシーとあなたのデータ
support-faq-privacy-encryption = 写真とポートレートは、アカウントごとの鍵で暗号化して保存しています。
support-faq-privacy-rights = プライバシーのページでは、すべてのデータのコピーをダウンロードしたり、アカウントをすべてのデータとともに削除したりできます。
support-faq-privacy-page = プライバシーのページを開く
support-faq-privacy-policy = プライバシーポリシーを読む

support-faq-signin = ログインできない
support-faq-signin-text = パスワードはログインページから再設定できます。それでも解決しない場合は、アカウントがなくてもお問い合わせフォームをご利用いただけます。
support-faq-signin-reset = パスワードを再設定する

support-contact-title = お問い合わせ
support-contact-intro = { $hours } 時間以内にご返信します。「緊急」とした場合は { $urgent } 時間以内にご返信します。
support-contact-email = メールアドレス
support-contact-email-fixed = アカウントのメールアドレスにご返信します。
support-contact-subject = 件名
support-contact-message = お問い合わせ内容
support-contact-job = 関連するジョブ（任意）
support-contact-job-hint = 最近のジョブが新しい順に並んでいます。ほかのことについてのお問い合わせなら「なし」のままにしてください。
support-contact-job-none = なし
support-contact-job-choice = { $style }（{ $time }）
support-contact-urgent = 緊急：スタジオがまったく使えない
support-contact-submit = 送信
support-contact-errors = 入力内容に誤りがあります。該当する項目を修正してください。
support-error-email-invalid = 有効なメールアドレスを入力してください。
support-error-subject-empty = 件名を入力してください。
support-error-subject-too-long = 件名が長すぎます。200 文字以内で入力してください。
support-error-message-empty = お問い合わせ内容を入力してください。
support-error-message-too-long = お問い合わせ内容が長すぎます。5000 文字以内で入力してください。
support-error-job-unknown = あなたのジョブではありません。ジョブのページのアドレスから ID をコピーするか、空欄のままにしてください。
support-error-ticket-closed = このお問い合わせは終了しています。さらにお困りの場合は、新しくお問い合わせください。

support-sent-title = お問い合わせを受け付けました
support-sent-number = お問い合わせ番号は #{ $number } です。
support-sent-time = { $hours } 時間以内にご返信します。確認のメールをお送りしました。

support-tickets-title = お問い合わせ履歴
support-tickets-none = まだお問い合わせはありません。
support-col-number = 番号
support-col-subject = 件名
support-col-status = 状態
support-col-created = 送信日時
support-col-updated = 最終更新
support-status-open = 対応中
support-status-answered = 回答済み
support-status-closed = 終了
support-urgent = 緊急
support-ticket-title = お問い合わせ #{ $number }：{ $subject }
support-ticket-status = 状態：{ $status }
support-ticket-job = 関連するジョブ：{ $job }
support-ticket-you = あなた
support-ticket-staff = Atelier サポート
support-ticket-follow-up = メッセージを追加
support-ticket-follow-up-submit = 送信
support-ticket-closed = このお問い合わせは終了しています。

admin-tickets-title = サポートのお問い合わせ
admin-tickets-filter = 表示
admin-tickets-filter-open = 対応中
admin-tickets-filter-closed = 終了
admin-tickets-filter-all = すべて
admin-tickets-none = 該当するお問い合わせはありません。
admin-col-from = 差出人
admin-ticket-visitor = 訪問者（アカウントなし）
admin-ticket-language = 言語：{ $locale }
admin-ticket-reply = 返信
admin-ticket-reply-hint = 送信者の言語でメール送信され、送信者のお問い合わせページにも表示されます。
admin-ticket-reply-submit = 返信を送信
admin-ticket-close = お問い合わせを終了
admin-ticket-reopen = お問い合わせを再開
