# 스튜디오의 실시간 사진 확인(web/upload_check.rs, static/app.js).
check-too-large = 파일이 너무 큽니다(최대 { $max }MB)
check-too-many-pixels = 픽셀 수가 너무 많습니다(최대 { $max }메가픽셀)
check-not-supported = 지원하지 않는 이미지입니다. JPEG, PNG 또는 WebP 사진을 선택하세요
check-unreadable = 이 이미지를 읽을 수 없습니다. JPEG나 PNG로 다시 저장한 뒤 시도해 주세요
check-corrupt = 이 파일은 손상되었거나 불완전합니다(복사 중에 잘렸을 수 있습니다). 원본 사진을 다시 선택하세요
check-empty = 사진을 선택하세요.
check-paused = 데이터 처리가 일시 중지되어 있습니다. 업로드하려면 개인정보 페이지에서 다시 시작하세요.
check-no-face = 얼굴을 찾지 못했습니다. 얼굴이 하나 잘 보이는 사진이 가장 좋습니다
check-many-faces = 얼굴이 여러 개 있습니다({ $faces }명). 한 사람만 나온 사진이 더 잘 어울립니다
check-small = 작은 사진입니다({ $width }×{ $height }). 짧은 변이 512px 이상인 사진을 권장합니다
check-good = 좋습니다: 얼굴 하나, { $width }×{ $height }
check-checking = 사진을 확인하는 중…
check-unavailable = 지금은 사진을 확인할 수 없습니다. 그대로 제출할 수도 있습니다.
check-preview-alt = 선택한 사진 미리 보기
