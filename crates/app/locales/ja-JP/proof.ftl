## Dates without a time (policy pages): $month is 1–12.
date = { $year }年{ $month }月{ $day }日
