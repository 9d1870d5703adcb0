## Dates without a time (policy pages): $month is 1–12.
date = { $year }년 { $month }월 { $day }일
