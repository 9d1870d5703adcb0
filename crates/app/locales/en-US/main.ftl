# Atelier — English. Every user-facing string of the pages lives here.
site-name = Atelier
site-tagline = Portraits in six hand-made styles, from one photo. Private by default: your photos are encrypted and deleted after 24 hours.
nav-home = Home
nav-sign-in = Sign in
nav-sign-up = Create account
nav-privacy = Privacy
nav-sign-out = Sign out
nav-tokens = { $balance ->
    [one] 1 token
   *[other] { $balance } tokens
}
home-gallery-title = Styles
home-cost = { $cost ->
    [one] 1 token
   *[other] { $cost } tokens
}
home-cta = Create your account — { $welcome } free tokens
home-signed-in = Signed in as { $email }.
home-privacy-title = Privacy first
home-privacy-body = Each photo is encrypted with a key of your own and deleted 24 hours after upload, with its portraits. Nothing is used to train models.
signup-title = Create your account
signup-email = E-mail address
signup-password = Password
signup-password-hint = At least 8 characters. Common passwords are refused.
signup-age = I am 14 or older
signup-guardian = I am under 14 and a parent or guardian agrees to my use of Atelier
signup-submit = Create account
signup-have-account = Already have an account?
signin-title = Sign in
signin-email = E-mail address
signin-password = Password
signin-submit = Sign in
signin-no-account = New to Atelier?
footer-text = Atelier — self-hosted portrait studio. Images made here are marked as AI-generated.
error-invalid-email = Please enter a valid e-mail address.
error-password-too-short = The password must have at least 8 characters.
error-password-too-long = The password must have at most 128 characters.
error-password-too-common = This password is too common; please choose another.
error-guardian-consent-required = Users under 14 need the consent of a parent or guardian.
error-email-taken = An account with this e-mail address already exists.
error-invalid-credentials = Wrong e-mail address or password.
error-too-many-attempts = Too many failed sign-ins. Please wait a few minutes.
error-cross-site-request = This form must be sent from the Atelier site itself.
error-internal = Something went wrong on our side. Please try again.
style-rough-sketch = Rough sketch
style-rough-sketch-description = Loose, free-hand pencil lines on paper.
style-detailed-sketch = Detailed sketch
style-detailed-sketch-description = Precise graphite drawing with shaded tones.
style-light-color = Light watercolor
style-light-color-description = Soft watercolor wash with paper texture and darkened edges.
style-artistic = Artistic
style-artistic-description = Painterly brush strokes that follow the shapes of the face.
style-anime = Anime
style-anime-description = Flat cel colors with clean ink lines.
style-clay-3d = Clay 3D
style-clay-3d-description = Relit, sculpted look of a clay or 3D render.
nav-studio = Studio
nav-history = Library
studio-title = New portrait
studio-photo = Photo (JPEG, PNG or WebP, up to 20 MB; 512×512 or larger works best)
studio-style = Style
studio-balance = { $balance ->
    [one] You have 1 token.
   *[other] You have { $balance } tokens.
}
studio-submit = Make my portrait
studio-no-tokens = You have no tokens left.
studio-tips-title = Tips for the best portraits
studio-tip-light = Use a photo taken in good, even light.
studio-tip-face = Keep the face centred and fully visible: no sunglasses, masks or hands in front of it.
studio-tip-filters = Upload the original photo, without heavy filters or beauty effects.
studio-tip-size = 512 × 512 pixels or larger gives the most detail.
studio-tip-download = Download your portrait within 24 hours: photos and portraits are deleted after that.
studio-rules-title = Content rules.
studio-rules-intro = By uploading you confirm that you follow them:
studio-rule-consent = Only photos of yourself, or of people who agreed to it.
studio-rule-minors = No photos of minors without the consent of their parent or guardian.
studio-rule-content = No sexual, violent or hateful content.
studio-rule-deepfakes = No images meant to deceive people about who someone is or what they did.
studio-prompt = Prompt (for styles that take a description; optional with a photo)
studio-prompt-help = Describe the picture in up to { $max } characters. Prompts asking for nudity, sexual content or gore are refused before anything is spent.
studio-input-prompt = from a prompt
studio-input-either = photo or prompt
job-prompt = Prompt:
job-title = Your portrait
job-status-queued = Waiting in line
job-status-running = Painting…
job-status-succeeded = Ready
job-status-failed = It did not work; your token was refunded.
job-status-canceled = Canceled; your token was refunded.
job-status-removed = Done; the portrait has been deleted.
job-queue-position = Position in the queue: { $position }
job-progress = Progress
job-refresh-note = This page refreshes by itself.
job-cancel = Cancel
job-download = Download
job-delete = Delete now
job-expires = Deleted automatically at { $time }.
job-time-left = Time left:
job-save = Save this portrait
job-unsave = Stop saving
job-saved-until = Saved: kept until { $time }, then deleted automatically.
job-saved-forever = Saved: kept until you delete it.
job-save-hint = { $days ->
    [one] Saving keeps the portrait (not your photo) for 1 day from now instead of 24 hours; stop saving at any time.
   *[other] Saving keeps the portrait (not your photo) for { $days } days from now instead of 24 hours; stop saving at any time.
}
job-save-hint-forever = Saving keeps the portrait (not your photo) until you delete it; stop saving at any time.
job-saving-disabled = Saving portraits is not enabled on this server.
job-warn-no-face = We found no face in this photo; portraits work best with one clear face.
job-warn-many-faces = We found several faces; the portrait may look best with one.
job-warn-small = This photo is smaller than 512 pixels; the portrait may look soft.
job-alt = Your portrait in the { $style } style
history-title = Your library
history-empty = Nothing yet. Your portraits appear here until they are deleted.
history-open = Open
history-new = New portrait
library-portraits = Portraits
library-portraits-empty = No portraits are held right now.
library-photos = Photos
library-photos-note = Your photos are kept only until their deadline so you can make more portraits from them; delete them any time.
library-photos-empty = No photos are held right now.
library-photo-alt = Your uploaded photo
library-faces = { $count ->
    [0] no face found
    [one] one face
   *[other] { $count } faces
}
library-delete-photo = Delete photo
library-jobs = All portraits you asked for
library-col-when = When
library-col-style = Style
library-col-status = Status
tokens-title = Tokens
tokens-balance = Balance
tokens-lots = Lots
tokens-lot-line = { $remaining } of { $quantity } left, valid until { $expires }
tokens-ledger = Ledger
ledger-grant = Granted
ledger-spend = Spent
ledger-refund = Refunded
ledger-expire = Expired
ledger-revoke = Revoked
error-upload = This file could not be used: { $reason }
error-form-unreadable = The form arrived incomplete. Please choose the photo again and resend it.
error-insufficient-tokens = You do not have enough tokens for this style.
error-unknown-style = Please choose a style.
error-empty-file = Please choose a photo.
error-style-unavailable = This style is unavailable right now. Please choose another one or try again later.
error-photo-required = This style needs a photo.
error-photo-not-accepted = This style makes pictures from a prompt only; please leave out the photo.
error-prompt-required = This style needs a prompt.
error-prompt-not-accepted = This style does not take a prompt; please leave the prompt empty.
prompt-refused = This prompt cannot be used: it contains words this studio does not accept (such as nudity, sexual content or gore). Please rephrase it. No token was spent.
prompt-empty = Please write a prompt.
prompt-too-long = The prompt is too long: at most { $max } characters.
signin-forgot = Forgot your password?
forgot-title = Reset your password
forgot-intro = Enter the e-mail address of your account. We will send you a link to choose a new password.
forgot-submit = Send the link
forgot-sent = If an account exists for this address, a link is on its way. It works for one hour, once.
reset-title = Choose a new password
reset-submit = Save the new password
reset-done = Your password is changed and every session is signed out. Please sign in again.
confirm-email-title = Confirm your new e-mail address
confirm-email-intro = Press the button to use this address for your Atelier account.
confirm-email-submit = Confirm
confirm-email-done = Your e-mail address is changed.
error-invalid-token = This link is invalid, has expired or was already used.
nav-account = Account
account-title = Your account
account-email-now = Signed in as { $email }.
account-change-email = Change your e-mail address
account-new-email = New e-mail address
account-current-password = Current password
account-change-email-submit = Send a confirmation link
account-change-email-sent = We sent a confirmation link to the new address. Your address changes when you open it.
account-email-verified = Your e-mail address is confirmed.
account-email-unverified = Your e-mail address is not confirmed yet. Please open the link we mailed you; an account whose address is never confirmed is deleted { $days } days after sign-up.
account-verify-resend = Send the link again
account-verify-sent = We sent a new confirmation link to your address.
verify-email-title = Confirm your e-mail address
verify-email-done = Thank you: your e-mail address is confirmed.
verify-email-resend-hint = You can ask for a new link on your account page.
error-already-verified = Your e-mail address is already confirmed.
account-api-keys = API keys
account-api-keys-intro = Keys let your scripts use the API (see /api/v1/openapi.json) as you, until you revoke them.
account-api-key-name = Key name
account-api-key-create = Create a key
account-api-key-secret = Your new key. Copy it now: it is shown only this once.
account-api-key-line = { $name } ({ $prefix }…), created { $created }, last used { $used }
account-api-key-never = never
account-api-key-revoke = Revoke
account-api-key-revoked = The key was revoked; it no longer works.
account-api-keys-none = You have no API keys.
error-invalid-api-key-name = Name the key with 1 to 80 characters.
error-too-many-api-keys = You already have the most keys allowed (100). Revoke one first.
nav-buy = Buy tokens
buy-title = Buy tokens
buy-product-name = { $tokens ->
    [one] Atelier: 1 token
   *[other] Atelier: { $tokens } tokens
}
buy-validity = Valid for { $days } days after payment
buy-submit = Buy for { $price }
buy-stripe-note = Payment is handled by Stripe; Atelier never sees your card.
buy-not-configured = Payments are not configured on this server. Ask its operator for tokens.
buy-unknown-pack = Please choose one of the packs below.
buy-provider-error = The payment provider could not be reached. Nothing was charged; please try again.
buy-unknown-session = We could not find this payment.
buy-canceled = Payment canceled; nothing was charged.
buy-no-lots = You have no tokens yet.
buy-purchases = Your purchases
buy-no-purchases = No purchases yet.
buy-col-date = Date
buy-col-pack = Pack
buy-col-amount = Amount
buy-col-status = Status
buy-done-title = Your purchase
buy-done-paid = { $tokens ->
    [one] Payment received: 1 token was added to your account.
   *[other] Payment received: { $tokens } tokens were added to your account.
}
buy-done-pending = Your payment is being processed. The tokens appear as soon as it completes.
buy-done-failed = The payment did not go through; nothing was added.
buy-done-expired = This checkout expired before payment; nothing was charged.
buy-done-refunded = This purchase was refunded.
buy-back = Back to buying tokens
plan-title = Monthly plans
plan-per-month = per month
plan-per-year = per year
plan-tokens = { $tokens ->
    [one] 1 token every period
   *[other] { $tokens } tokens every period
}
plan-subscribe = Subscribe
plan-note = Each period's tokens stay valid until the end of the following period. Packs can still be bought beside a plan; spending always takes the tokens that expire first.
plan-product-name = Atelier plan: { $name }
plan-status-active = Active
plan-status-past_due = Payment failed — Stripe will retry
plan-status-canceled = Canceled
plan-status-pending = Starting
plan-status-ending = Canceled, ends at period end
plan-renews = Renews on { $date }
plan-ends = Ends on { $date }
plan-granted = { $tokens ->
    [one] 1 token granted this period
   *[other] { $tokens } tokens granted this period
}
plan-cancel = Cancel plan
plan-cancel-hint = No further payment; this period's tokens stay yours.
plan-canceled-notice = Your plan is canceled: it will not renew. This period's tokens stay yours.
plan-unknown = Please choose one of the plans below.
plan-already = You already have a plan that renews; cancel it before choosing another.
plan-not-cancelable = This plan is not active, so there is nothing to cancel.
plan-done-active = Your plan is active. Its tokens arrive as soon as Stripe confirms the first payment.
plan-done-pending = Your subscription is being set up. This page refreshes until it is.
purchase-status-pending = Pending
purchase-status-paid = Paid
purchase-status-failed = Failed
purchase-status-expired = Expired
purchase-status-refunded = Refunded
purchase-partly-refunded = Paid, { $amount } refunded
tokens-lot-expired = Expired on { $expires } ({ $remaining } of { $quantity } unused)
tokens-buy-more = Buy more tokens
admin-purchases-title = Purchases (all accounts)
admin-col-buyer = Buyer
admin-col-id = Purchase id
admin-account-gone = deleted account

## Privacy center
privacy-title = Privacy and your data
privacy-link = Privacy and your data: download, choices, delete
privacy-deadline = We answer every request about your data within { $days } days; the buttons below act at once.
privacy-choices = Your choices
privacy-processing-paused = Pause all processing of my data
privacy-processing-paused-hint = While paused, no photo is accepted and no portrait is made; queued jobs wait. Nothing is deleted.
privacy-analytics-opt-out = Leave me out of usage analytics
privacy-marketing-opt-in = Send me news and offers by e-mail
privacy-save-choices = Save my choices
privacy-choices-saved = Your choices are saved.
privacy-saving = Saved portraits
privacy-saving-off = This server does not offer saving: every photo and portrait is deleted on schedule, 24 hours after it was made unless you delete it sooner.
privacy-saving-ttl = { $days ->
    [one] You may save a portrait from its page: it is then kept for 1 day from the moment you save it instead of 24 hours. Stop saving it and the 24-hour rule applies again, counted from when it was made. Your uploaded photos are never kept longer.
   *[other] You may save a portrait from its page: it is then kept for { $days } days from the moment you save it instead of 24 hours. Stop saving it and the 24-hour rule applies again, counted from when it was made. Your uploaded photos are never kept longer.
}
privacy-saving-forever = You may save a portrait from its page: it is then kept until you delete it. Stop saving it and the 24-hour rule applies again, counted from when it was made. Your uploaded photos are never kept longer.
privacy-name = Your name
privacy-display-name = Display name (leave empty for none)
privacy-save-name = Save the name
privacy-name-saved = Your name is saved.
privacy-change-email = Change your e-mail address
privacy-export = Download my data
privacy-export-text = A ZIP file with your account, tokens, purchases, plans, jobs, access log, choices, and the photos and portraits still held. README.txt inside explains every file.
privacy-export-button = Download my data (ZIP)
privacy-export-background-text = For a large account, or to download later: we prepare the ZIP in the background, e-mail you when it is ready, and keep it 7 days for you alone.
privacy-export-background-button = Prepare my data in the background
privacy-export-requested = We are preparing your data; this page shows when it is ready.
privacy-export-download = Download
privacy-export-line = Asked { $created }: { $status ->
    [ready] ready, kept until { $expires }
    [failed] failed; please ask again
   *[pending] being prepared
}
privacy-delete = Delete my account
privacy-delete-text = Deletes at once and for good your photos, portraits, tokens, history and account. A plan you subscribed to is ended at once at the payment provider. Only the amounts and dates of purchases and plans stay, no longer linked to you. We send a confirmation to your address.
privacy-delete-button = Delete my account now
privacy-deleted-title = Your account is deleted
privacy-deleted-text = Everything of your account is gone. A confirmation is on its way to your e-mail address.
error-wrong-password = The password is wrong.
error-export-pending = Your data is already being prepared; it shows below when ready.
error-invalid-display-name = A name has at most 80 characters and no control characters.
error-processing-paused = Processing of your data is paused. Resume it on the privacy page to make portraits.
error-busy = The server is busy with other photos right now. Please try again in a few seconds.
admin-audit-title = Admin audit log
admin-audit-intro = Every operator and admin action, newest first. Entries cannot be edited or deleted; an erased account's entries stay without naming it.
admin-audit-empty = Nothing has been done yet.
admin-col-actor = By
admin-col-action = Action
admin-col-account = Account
admin-col-detail = Detail
footer-privacy = Privacy policy
footer-terms = Terms of use
signup-policies = By creating an account you accept the terms of use and the privacy policy:
policy-status = Version { $version }, { $state } { $date }.
policy-state-current = in force since
policy-state-upcoming = takes effect on
policy-state-superseded = replaced; in force from
policy-upcoming = Version { $version } takes effect on { $date }.
policy-read-it = Read it
policy-versions = All versions
policy-version = Version { $version }
policy-accept-title = Please review our updated terms
policy-accept-intro = These documents changed and are now in force. Please read them and accept to continue using the studio.
policy-accept-line = Version { $version }, in force since { $date }
policy-accept-button = Accept and continue
policy-accept-refuse = If you do not agree, you can still download your data or delete your account:

## Language, dates and countdowns
footer-language = Language
# $month is 1–12; $time is "17:04" (UTC).
datetime = { $day } { $month ->
    [1] Jan
    [2] Feb
    [3] Mar
    [4] Apr
    [5] May
    [6] Jun
    [7] Jul
    [8] Aug
    [9] Sep
    [10] Oct
    [11] Nov
   *[12] Dec
} { $year }, { $time } UTC
countdown = { $hours } h { $minutes } min
countdown-over = being deleted now
