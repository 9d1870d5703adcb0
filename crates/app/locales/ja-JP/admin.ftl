# 管理コンソール共通: ナビゲーションと 404 ページ。
nav-admin = 管理
not-found-title = ページが見つかりません
not-found-home = トップページに戻る
admin-nav-label = 管理コンソール
admin-nav-dashboard = ダッシュボード
admin-nav-users = ユーザー
admin-nav-jobs = ジョブ
admin-nav-tickets = サポートチケット
admin-nav-reports = 不正利用の報告
admin-nav-purchases = 購入
admin-nav-audit = 監査ログ
