# スタジオの写真チェック（web/upload_check.rs、static/app.js）。
check-too-large = ファイルが大きすぎます（最大 { $max } MB）
check-too-many-pixels = 画素数が多すぎます（最大 { $max } メガピクセル）
check-not-supported = 対応していない画像です。JPEG、PNG、WebP の写真を選んでください
check-unreadable = この画像を読み込めませんでした。JPEG または PNG で保存し直してからお試しください
check-corrupt = このファイルは壊れているか、途中で切れています（コピー中に途切れた可能性があります）。元の写真を選び直してください
check-empty = 写真を選んでください。
check-paused = データの処理を一時停止中です。アップロードするにはプライバシーページで再開してください。
check-no-face = 顔が見つかりません。顔がはっきり写った写真がいちばんきれいに仕上がります
check-many-faces = 複数の顔が写っています（{ $faces } 人）。一人だけの写真のほうがきれいに仕上がります
check-small = 小さめの写真です（{ $width }×{ $height }）。短い辺が 512 px 以上あるのがおすすめです
check-good = 問題ありません：顔が 1 つ、{ $width }×{ $height }
check-checking = 写真を確認しています…
check-unavailable = いまは写真を確認できませんでした。このまま送信することもできます。
check-preview-alt = 選んだ写真のプレビュー
