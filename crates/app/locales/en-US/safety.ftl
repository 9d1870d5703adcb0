# Abuse reports (the owner's form) and their review in the admin console; the rate-limit page.
report-link = Report
report-title = Report this image
report-item-alt = The image you are reporting
report-intro = Tell us what is wrong with this image. An administrator will review it and may remove it. Only you and the administrators can see your report.
report-reason = Reason
report-reason-consent = It shows someone who did not consent
report-reason-minor = It shows a minor without a guardian's consent
report-reason-sexual = Sexual content
report-reason-violent = Violent content
report-reason-hateful = Hateful content
report-reason-deception = Made to deceive (a deepfake)
report-reason-other = Something else
report-details = Details (optional)
report-details-hint = Up to 2,000 characters.
report-submit = Send report
report-back = Back to your library
report-error-reason = Choose a reason.
report-error-details = The details may be at most 2,000 characters long.
report-thanks-title = Thank you for your report
report-thanks-text = We received your report. An administrator will review it soon and remove the image if it breaks the content rules.
report-thanks-back = Back to your library

admin-reports-title = Abuse reports
admin-reports-empty = No reports so far.
admin-reports-back = All reports
admin-report-title = Abuse report
admin-report-col-when = Reported
admin-report-col-reason = Reason
admin-report-col-kind = Item
admin-report-col-owner = Owner
admin-report-col-status = Status
admin-report-details = Details
admin-report-no-details = (none given)
admin-report-kind-result = Portrait
admin-report-kind-upload = Uploaded photo
admin-report-status-open = Open
admin-report-status-removed = Item removed
admin-report-status-actioned = Account acted on
admin-report-status-dismissed = Dismissed
admin-report-account-active = active
admin-report-account-restricted = processing paused
admin-report-account-suspended = suspended
admin-report-account-banned = banned
admin-report-item = Reported item
admin-report-item-alt = The reported image
admin-report-item-gone = This item is no longer held: it was deleted by its owner, removed, or swept after its 24 hours.
admin-report-actions = Decision
admin-report-remove = Remove the item
admin-report-suspend = Suspend the account
admin-report-ban = Ban the account
admin-report-dismiss = Dismiss
admin-report-unknown = Choose one of the decisions.
admin-report-gone = The account was deleted: only dismissing is possible.

rate-limited-title = Too many requests
rate-limited-text = { $seconds ->
    [one] You tried this too often in a short time. Please wait a second, then try again.
   *[other] You tried this too often in a short time. Please wait { $seconds } seconds, then try again.
}
rate-limited-home = Back to the start page
