# Atelier — English. The support center: questions and answers, the contact form, tickets,
# and the admin console's tickets (crates/app/src/web/support.rs, admin_tickets.rs).
support-footer-link = Help
support-nav-link = Help
support-title = Help and support
support-intro = Answers to common questions, with this studio's own settings. Cannot find yours? Write to us.
support-contact-link = Contact us
support-job-help = A problem with this portrait? Contact support about it
support-tickets-link = My requests
# A span of time: $unit is "hours" or "days".
support-span = { $unit ->
    [hours] { $count ->
        [one] one hour
       *[other] { $count } hours
    }
   *[days] { $count ->
        [one] one day
       *[other] { $count } days
    }
}

support-faq-tokens = Tokens and when they expire
support-faq-tokens-cost = Each portrait costs tokens; the cost is shown with each style. A job that fails or that you cancel gives its tokens back.
support-faq-tokens-welcome = { $count ->
    [0] New accounts start without free tokens.
    [one] New accounts get one free token, valid for { $valid }.
   *[other] New accounts get { $count } free tokens, valid for { $valid }.
}
support-faq-tokens-packs = Token packs you buy stay valid for:
support-faq-tokens-pack = { $tokens } tokens: { $valid }
support-faq-tokens-order = Tokens that expire soonest are spent first. Your tokens and their expiry dates are on the tokens page.

support-faq-formats = Photo formats and resolution
support-faq-formats-accepted = We accept { $formats } files up to { $size } and { $megapixels } megapixels.
support-faq-formats-recommended = For the best results use a photo at least 512 pixels on its shorter side, with the face centred, visible and in good light, and without heavy filters.

support-faq-deletion = Automatic deletion after { $upload }
support-faq-deletion-text = Uploaded photos are deleted { $upload } after upload, and portraits { $result } after they are made. Download the portraits you want to keep in time.
support-faq-deletion-saving = You can save a portrait from its page to keep it longer.

support-faq-refunds = Refunds
support-faq-refunds-jobs = If a portrait fails or you cancel a job before it starts, its tokens come back on their own.
support-faq-refunds-purchases = To ask for a refund of a token pack, write to us with the contact form and name the purchase. When a purchase is refunded, the tokens it gave that you have not spent are taken back; tokens already spent stay spent.

support-faq-styles = Styles
support-faq-styles-intro = This studio offers these styles:

support-faq-privacy = Privacy and your data
support-faq-privacy-encryption = Your photos and portraits are stored encrypted, with a key of your account's own.
support-faq-privacy-rights = On the privacy page you can download a copy of all your data and delete your account with everything in it.
support-faq-privacy-page = Open the privacy page
support-faq-privacy-policy = Read the privacy policy

support-faq-signin = I cannot sign in
support-faq-signin-text = You can reset your password from the sign-in page. If that does not help, the contact form works without an account.
support-faq-signin-reset = Reset my password

support-contact-title = Contact us
support-contact-intro = We answer within { $hours ->
    [one] one hour
   *[other] { $hours } hours
}, and within { $urgent ->
    [one] one hour
   *[other] { $urgent } hours
} when you mark your request urgent.
support-contact-email = Your e-mail address
support-contact-email-fixed = We answer to your account's address.
support-contact-subject = Subject
support-contact-message = Message
support-contact-job = Job it is about (optional)
support-contact-job-hint = Your latest jobs, newest first. Leave it at "None" if your question is about something else.
support-contact-job-none = None
support-contact-job-choice = { $style }, { $time }
support-contact-urgent = Urgent: I cannot use the studio at all
support-contact-submit = Send
support-contact-errors = Please correct the marked fields.
support-error-email-invalid = Please enter a valid e-mail address.
support-error-subject-empty = Please enter a subject.
support-error-subject-too-long = The subject is too long: at most 200 characters.
support-error-message-empty = Please write a message.
support-error-message-too-long = The message is too long: at most 5000 characters.
support-error-job-unknown = This is not one of your jobs. Copy the id from the address of the job's page, or leave the field empty.
support-error-ticket-closed = This request is closed. Write a new one if you need more help.

support-sent-title = Thank you, we got your request
support-sent-number = Your request number is #{ $number }.
support-sent-time = We will answer within { $hours ->
    [one] one hour
   *[other] { $hours } hours
}. We sent you a confirmation by e-mail.

support-tickets-title = My requests
support-tickets-none = You have not written to us yet.
support-col-number = Number
support-col-subject = Subject
support-col-status = Status
support-col-created = Sent
support-col-updated = Last change
support-status-open = Open
support-status-answered = Answered
support-status-closed = Closed
support-urgent = Urgent
support-ticket-title = Request #{ $number }: { $subject }
support-ticket-status = Status: { $status }
support-ticket-job = About job { $job }
support-ticket-you = You
support-ticket-staff = Atelier support
support-ticket-follow-up = Add a message
support-ticket-follow-up-submit = Send
support-ticket-closed = This request is closed.

admin-tickets-title = Support tickets
admin-tickets-filter = Show
admin-tickets-filter-open = Open
admin-tickets-filter-closed = Closed
admin-tickets-filter-all = All
admin-tickets-none = No tickets here.
admin-col-from = From
admin-ticket-visitor = visitor, no account
admin-ticket-language = Language: { $locale }
admin-ticket-reply = Reply
admin-ticket-reply-hint = Sent by e-mail to the submitter, in their language, and shown on their ticket page.
admin-ticket-reply-submit = Send reply
admin-ticket-close = Close ticket
admin-ticket-reopen = Reopen ticket
