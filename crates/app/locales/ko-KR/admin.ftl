# 관리 콘솔 공통: 내비게이션과 404 페이지.
nav-admin = 관리
not-found-title = 페이지를 찾을 수 없습니다
not-found-home = 첫 페이지로 돌아가기
admin-nav-label = 관리 콘솔
admin-nav-dashboard = 대시보드
admin-nav-users = 사용자
admin-nav-jobs = 작업
admin-nav-tickets = 지원 티켓
admin-nav-reports = 악용 신고
admin-nav-purchases = 구매
admin-nav-audit = 감사 로그
