# Atelier — 한국어. 고객지원 센터: 자주 묻는 질문, 문의 양식, 문의 내역, 관리 콘솔의 문의
# (crates/app/src/web/support.rs, admin_tickets.rs).
support-footer-link = 도움말
support-nav-link = 도움말
support-title = 도움말 및 고객지원
support-intro = 자주 묻는 질문에 대한 답변입니다. 이 스튜디오의 실제 설정을 기준으로 안내합니다. 원하는 답을 찾지 못하셨다면 문의해 주세요.
support-contact-link = 문의하기
support-job-help = 이 초상화에 문제가 있나요? 고객지원에 문의하기
support-tickets-link = 내 문의
# 기간: $unit은 "hours" 또는 "days".
support-span = { $unit ->
    [hours] { $count }시간
   *[days] { $count }일
}

support-faq-tokens = 토큰과 유효기간
support-faq-tokens-cost = 초상화를 만들 때 토큰을 사용합니다. 필요한 토큰 수는 각 스타일에 표시되어 있습니다. 실패하거나 취소한 작업의 토큰은 돌려드립니다.
support-faq-tokens-welcome = { $count ->
    [0] 새 계정에는 무료 토큰이 없습니다.
   *[other] 새 계정에는 무료 토큰 { $count }개를 드리며, { $valid } 동안 사용할 수 있습니다.
}
support-faq-tokens-packs = 구매한 토큰 팩의 유효기간:
support-faq-tokens-pack = 토큰 { $tokens }개: { $valid }
support-faq-tokens-order = 유효기간이 가장 먼저 끝나는 토큰부터 사용됩니다. 보유한 토큰과 유효기간은 토큰 페이지에서 확인할 수 있습니다.

support-faq-formats = 사진 형식과 해상도
support-faq-formats-accepted = { $formats } 파일을 { $size }, { $megapixels }메가픽셀까지 받습니다.
support-faq-formats-recommended = 가장 좋은 결과를 얻으려면 짧은 변이 512픽셀 이상이고, 얼굴이 가운데에 잘 보이며, 조명이 밝고, 강한 필터를 쓰지 않은 사진을 사용하세요.

support-faq-deletion = { $upload } 후 자동 삭제
support-faq-deletion-text = 업로드한 사진은 업로드 후 { $upload }, 초상화는 만든 후 { $result }이 지나면 삭제됩니다. 보관하고 싶은 초상화는 기한 안에 내려받으세요.
support-faq-deletion-saving = 초상화 페이지에서 저장하면 더 오래 보관할 수 있습니다.

support-faq-refunds = 환불
support-faq-refunds-jobs = 초상화 생성이 실패하거나 시작 전에 작업을 취소하면 토큰이 자동으로 돌아옵니다.
support-faq-refunds-purchases = 토큰 팩 환불을 원하시면 문의 양식으로 구매 내역을 적어 보내 주세요. 구매가 환불되면 그 구매로 받은 토큰 중 사용하지 않은 토큰은 회수됩니다. 이미 사용한 토큰은 돌아오지 않습니다.

support-faq-styles = 스타일
support-faq-styles-intro = 이 스튜디오에서 고를 수 있는 스타일은 다음과 같습니다:

support-faq-privacy = 개인정보와 내 데이터
support-faq-privacy-encryption = 사진과 초상화는 계정마다 따로 만든 키로 암호화해 저장합니다.
support-faq-privacy-rights = 개인정보 페이지에서 모든 데이터의 사본을 내려받거나, 계정과 그 안의 모든 데이터를 삭제할 수 있습니다.
support-faq-privacy-page = 개인정보 페이지 열기
support-faq-privacy-policy = 개인정보 처리방침 읽기

support-faq-signin = 로그인할 수 없어요
support-faq-signin-text = 로그인 페이지에서 비밀번호를 재설정할 수 있습니다. 그래도 해결되지 않으면 계정 없이도 문의 양식을 이용할 수 있습니다.
support-faq-signin-reset = 비밀번호 재설정

support-contact-title = 문의하기
support-contact-intro = { $hours }시간 이내에 답변드립니다. 긴급으로 표시하시면 { $urgent }시간 이내에 답변드립니다.
support-contact-email = 이메일 주소
support-contact-email-fixed = 계정의 이메일 주소로 답변드립니다.
support-contact-subject = 제목
support-contact-message = 내용
support-contact-job = 관련 작업 (선택)
support-contact-job-hint = 최근 작업이 최신순으로 표시됩니다. 다른 일에 관한 문의라면 "없음"으로 두십시오.
support-contact-job-none = 없음
support-contact-job-choice = { $style }, { $time }
support-contact-urgent = 긴급: 스튜디오를 전혀 사용할 수 없습니다
support-contact-submit = 보내기
support-contact-errors = 표시된 항목을 고쳐 주세요.
support-error-email-invalid = 올바른 이메일 주소를 입력해 주세요.
support-error-subject-empty = 제목을 입력해 주세요.
support-error-subject-too-long = 제목이 너무 깁니다. 200자 이내로 입력해 주세요.
support-error-message-empty = 내용을 입력해 주세요.
support-error-message-too-long = 내용이 너무 깁니다. 5000자 이내로 입력해 주세요.
support-error-job-unknown = 회원님의 작업이 아닙니다. 작업 페이지 주소에서 ID를 복사하거나 비워 두세요.
support-error-ticket-closed = 종료된 문의입니다. 도움이 더 필요하시면 새로 문의해 주세요.

support-sent-title = 문의가 접수되었습니다
support-sent-number = 문의 번호는 #{ $number }입니다.
support-sent-time = { $hours }시간 이내에 답변드리겠습니다. 확인 이메일을 보내 드렸습니다.

support-tickets-title = 내 문의
support-tickets-none = 아직 문의하신 내역이 없습니다.
support-col-number = 번호
support-col-subject = 제목
support-col-status = 상태
support-col-created = 보낸 날짜
support-col-updated = 최종 변경
support-status-open = 처리 중
support-status-answered = 답변 완료
support-status-closed = 종료
support-urgent = 긴급
support-ticket-title = 문의 #{ $number }: { $subject }
support-ticket-status = 상태: { $status }
support-ticket-job = 관련 작업: { $job }
support-ticket-you = 나
support-ticket-staff = Atelier 고객지원
support-ticket-follow-up = 메시지 추가
support-ticket-follow-up-submit = 보내기
support-ticket-closed = 종료된 문의입니다.

admin-tickets-title = 고객지원 문의
admin-tickets-filter = 보기
admin-tickets-filter-open = 처리 중
admin-tickets-filter-closed = 종료
admin-tickets-filter-all = 전체
admin-tickets-none = 해당하는 문의가 없습니다.
admin-col-from = 보낸 사람
admin-ticket-visitor = 방문자, 계정 없음
admin-ticket-language = 언어: { $locale }
admin-ticket-reply = 답변
admin-ticket-reply-hint = 보낸 사람의 언어로 이메일이 발송되고, 보낸 사람의 문의 페이지에도 표시됩니다.
admin-ticket-reply-submit = 답변 보내기
admin-ticket-close = 문의 종료
admin-ticket-reopen = 문의 다시 열기
