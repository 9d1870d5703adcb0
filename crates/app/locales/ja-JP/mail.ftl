# Atelier — 日本語。Atelier が送るすべてのメール（crates/app/src/mail_compose.rs）。キーは en-US/mail.ftl と同じです。
# 各メールは件名（subject）、導入文（intro）、ボタンの文言（action、リンクがある場合）、結び（outro）からなります。
# リンクはコードが server.public_url から作るため、ここには書きません。文体は です・ます。
mail-link-fallback = ボタンが機能しない場合は、次のアドレスをブラウザにコピーしてください:
mail-footer = Atelier — セルフホスト型のポートレートスタジオ
mail-footer-automatic = このメールは自動で送信されています。ご返信いただいても確認できません。
# リンクの有効期間: $unit は "hours" または "days"。
mail-valid-for = { $unit ->
    [hours] { $count } 時間
   *[days] { $count } 日
}

mail-verify-subject = Atelier のメールアドレスを確認してください
mail-verify-intro = Atelier へようこそ。アカウント、ご購入、データについてご連絡できるよう、このアドレスがご本人のものであることを確認してください。
mail-verify-action = メールアドレスを確認する
mail-verify-outro = このリンクの有効期限は { $valid } で、1 回だけ使えます。アドレスが確認されないアカウントは、登録から { $erase_after } 後に削除されます。お心当たりがない場合は、このメールを無視してください。

mail-reset-subject = Atelier のパスワード再設定
mail-reset-intro = お使いの Atelier アカウントのパスワード再設定が依頼されました。
mail-reset-action = 新しいパスワードを設定する
mail-reset-outro = このリンクの有効期限は { $valid } で、1 回だけ使えます。お心当たりがない場合は、このメールを無視してください。パスワードは変更されません。

mail-email-change-subject = Atelier の新しいメールアドレスを確認してください
mail-email-change-intro = このアドレスで Atelier アカウントにログインするよう変更してよいか、確認してください。
mail-email-change-action = このアドレスを使う
mail-email-change-outro = このリンクの有効期限は { $valid } で、1 回だけ使えます。リンクを開くまで、アカウントのアドレスは現在のままです。お心当たりがない場合は、このメールを無視してください。

mail-email-change-notice-subject = Atelier のメールアドレス変更のお知らせ
mail-email-change-notice-intro = お使いの Atelier アカウントのメールアドレスを { $new_email } に変更する依頼がありました。変更は、そのアドレスに送られたリンクが開かれたときにのみ行われます。
mail-email-change-notice-action = パスワードを再設定する
mail-email-change-notice-outro = お心当たりがない場合は、今すぐパスワードを再設定してください。依頼した人はあなたのパスワードを知っています。

mail-export-ready-subject = Atelier のデータをダウンロードできます
mail-export-ready-intro = ご依頼いただいたデータのコピーの準備ができました。ログインして、プライバシーのページからダウンロードしてください。ダウンロードできるのはあなただけです。
mail-export-ready-action = プライバシーのページを開く
mail-export-ready-outro = データは { $expires } まで保管され、その後削除されます。

mail-farewell-subject = Atelier のアカウントを削除しました
mail-farewell-intro = ご依頼により、{ $deleted } に Atelier アカウントとそのすべての内容（写真、ポートレート、トークン、履歴）を削除しました。
mail-farewell-action = Atelier を見る
mail-farewell-outro = 会計に関する法律で義務付けられているため、ご購入の金額と日付のみを保管していますが、あなたを特定する情報は含まれていません。そのほかのものは復元できません。このアドレスでいつでも再登録していただけます。

mail-policy-subject = Atelier「{ $title }」改定のお知らせ
mail-policy-intro = Atelier の「{ $title }」を改定します。バージョン { $version } は { $effective } に施行されます。変更点: { $summary }
mail-policy-action = 新しいバージョンを読む
mail-policy-outro = 施行日までにお読みください。施行時に同意をお願いします。同意されない場合は、プライバシーのページからいつでもデータをダウンロードし、アカウントを削除できます。

# サポートのお問い合わせ：$number はお問い合わせ番号、$account はアカウントがあれば "yes"、なければ "no"。
mail-support-received-subject = お問い合わせ #{ $number } を受け付けました：{ $subject }
mail-support-received-intro = Atelier サポートへのお問い合わせありがとうございます。お問い合わせ番号は #{ $number }（「{ $subject }」）です。{ $hours } 時間以内にご返信いたします。
mail-support-received-action = { $account ->
    [yes] お問い合わせを確認する
   *[no] よくある質問を見る
}
mail-support-received-outro = { $account ->
    [yes] お問い合わせのページから詳細を追加できます。回答はメールでもお届けします。
   *[no] 回答はこのアドレスにお送りします。再度ご連絡いただく際は、お問い合わせ番号 #{ $number } をお書き添えください。
}

mail-support-reply-subject = Re: { $subject }（お問い合わせ #{ $number }）
mail-support-reply-intro = お問い合わせ #{ $number } について、Atelier サポートより回答いたします：{ $reply }
mail-support-reply-action = { $account ->
    [yes] やり取りを見る
   *[no] もう一度問い合わせる
}
mail-support-reply-outro = { $account ->
    [yes] ご返信は、お問い合わせのページからメッセージを追加してください。
   *[no] ご返信は、お問い合わせフォームからお問い合わせ番号 #{ $number } を添えてお送りください。
}
