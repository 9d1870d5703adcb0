# Atelier — 한국어. Atelier가 보내는 모든 이메일(crates/app/src/mail_compose.rs). 키는 en-US/mail.ftl과 같습니다.
# 각 메일은 제목(subject), 도입(intro), 버튼 문구(action, 링크가 있을 때), 맺음말(outro)로 이루어집니다.
# 링크는 코드가 server.public_url로 만들므로 여기에는 넣지 않습니다. 문체는 합니다체.
mail-link-fallback = 버튼이 작동하지 않으면 다음 주소를 복사해 브라우저에 붙여 넣으십시오:
mail-footer = Atelier — 직접 운영하는 초상화 스튜디오
mail-footer-automatic = 이 메일은 자동으로 발송되었습니다. 회신하셔도 확인되지 않습니다.
# 링크 유효 기간: $unit은 "hours" 또는 "days".
mail-valid-for = { $unit ->
    [hours] { $count }시간
   *[days] { $count }일
}

mail-verify-subject = Atelier 이메일 주소를 확인해 주십시오
mail-verify-intro = Atelier에 오신 것을 환영합니다! 계정, 구매, 데이터에 관해 연락드릴 수 있도록 이 주소가 회원님의 주소인지 확인해 주십시오.
mail-verify-action = 이메일 주소 확인
mail-verify-outro = 링크는 { $valid } 동안 한 번만 사용할 수 있습니다. 주소가 확인되지 않은 계정은 가입 { $erase_after } 후에 삭제됩니다. 가입하신 적이 없다면 이 메일을 무시하십시오.

mail-reset-subject = Atelier 비밀번호 재설정
mail-reset-intro = 회원님의 Atelier 계정 비밀번호를 재설정해 달라는 요청이 있었습니다.
mail-reset-action = 새 비밀번호 정하기
mail-reset-outro = 링크는 { $valid } 동안 한 번만 사용할 수 있습니다. 본인이 요청하지 않았다면 이 메일을 무시하십시오. 비밀번호는 그대로 유지됩니다.

mail-email-change-subject = Atelier 새 이메일 주소를 확인해 주십시오
mail-email-change-intro = 이 주소로 Atelier 계정에 로그인하도록 변경하는 것이 맞는지 확인해 주십시오.
mail-email-change-action = 이 주소 사용하기
mail-email-change-outro = 링크는 { $valid } 동안 한 번만 사용할 수 있습니다. 링크를 열기 전까지 계정은 현재 주소를 그대로 사용합니다. 요청하지 않으셨다면 이 메일을 무시하십시오.

mail-email-change-notice-subject = Atelier 이메일 주소 변경 안내
mail-email-change-notice-intro = 회원님의 Atelier 계정 이메일 주소를 { $new_email }(으)로 변경해 달라는 요청이 있었습니다. 변경은 해당 주소로 보낸 링크를 열어야만 이루어집니다.
mail-email-change-notice-action = 비밀번호 재설정
mail-email-change-notice-outro = 본인이 요청하지 않았다면 지금 바로 비밀번호를 재설정하십시오. 요청한 사람이 비밀번호를 알고 있습니다.

mail-export-ready-subject = Atelier 데이터를 다운로드할 수 있습니다
mail-export-ready-intro = 요청하신 데이터 사본이 준비되었습니다. 로그인한 후 개인정보 페이지에서 다운로드해 주십시오. 다운로드는 회원님만 할 수 있습니다.
mail-export-ready-action = 개인정보 페이지 열기
mail-export-ready-outro = 데이터는 { $expires }까지 보관된 후 삭제됩니다.

mail-farewell-subject = Atelier 계정이 삭제되었습니다
mail-farewell-intro = 회원님의 요청에 따라 { $deleted }에 Atelier 계정과 그 안의 모든 것(사진, 초상화, 토큰, 기록)이 삭제되었습니다.
mail-farewell-action = Atelier 방문하기
mail-farewell-outro = 회계 관련 법률에 따라 구매 금액과 날짜만 보관되며, 이 기록으로는 더 이상 회원님을 알아볼 수 없습니다. 그 밖의 정보는 복구할 수 없습니다. 언제든지 이 주소로 다시 가입하실 수 있습니다.

mail-policy-subject = Atelier { $title } 변경 안내
mail-policy-intro = Atelier { $title }이(가) 개정됩니다. 버전 { $version }은(는) { $effective }부터 시행됩니다. 변경 내용: { $summary }
mail-policy-action = 새 버전 읽기
mail-policy-outro = 시행일 전에 읽어 주십시오. 시행되면 동의를 요청드립니다. 동의하지 않으시면 언제든지 개인정보 페이지에서 데이터를 다운로드하고 계정을 삭제할 수 있습니다.

# 고객지원 문의: $number는 문의 번호, $account는 계정이 있으면 "yes", 없으면 "no".
mail-support-received-subject = 문의 #{ $number }이(가) 접수되었습니다: { $subject }
mail-support-received-intro = Atelier 고객지원에 문의해 주셔서 감사합니다. 문의 번호는 #{ $number }("{ $subject }")입니다. { $hours }시간 이내에 답변드리겠습니다.
mail-support-received-action = { $account ->
    [yes] 내 문의 보기
   *[no] 자주 묻는 질문 보기
}
mail-support-received-outro = { $account ->
    [yes] 문의 페이지에서 내용을 더 추가할 수 있습니다. 답변은 이메일로도 보내 드립니다.
   *[no] 답변은 이 주소로 보내 드립니다. 다시 문의하실 때는 문의 번호 #{ $number }을(를) 적어 주세요.
}

mail-support-reply-subject = Re: { $subject } (문의 #{ $number })
mail-support-reply-intro = Atelier 고객지원에서 문의 #{ $number }에 답변드립니다: { $reply }
mail-support-reply-action = { $account ->
    [yes] 대화 보기
   *[no] 다시 문의하기
}
mail-support-reply-outro = { $account ->
    [yes] 답장하시려면 문의 페이지에서 메시지를 추가해 주세요.
   *[no] 답장하시려면 문의 양식에서 문의 번호 #{ $number }을(를) 적어 보내 주세요.
}
