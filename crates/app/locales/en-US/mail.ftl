# Atelier — English. Every e-mail Atelier sends (crates/app/src/mail_compose.rs).
# Each mail has a subject, an intro, an action (the button label, when it has a link) and
# an outro. Links are built by the code from server.public_url; they are never in here.
mail-link-fallback = If the button does not work, copy this address into your browser:
mail-footer = Atelier — your self-hosted portrait studio
mail-footer-automatic = This message was sent automatically; replies are not read.
# How long a link works: $unit is "hours" or "days".
mail-valid-for = { $unit ->
    [hours] { $count ->
        [one] one hour
       *[other] { $count } hours
    }
   *[days] { $count ->
        [one] one day
       *[other] { $count } days
    }
}

mail-verify-subject = Confirm your e-mail address for Atelier
mail-verify-intro = Welcome to Atelier! Please confirm that this address belongs to you, so we can reach you about your account, purchases and data.
mail-verify-action = Confirm my address
mail-verify-outro = The link works once, for { $valid }. An account whose address is never confirmed is deleted { $erase_after } after sign-up. If you did not sign up, ignore this mail.

mail-reset-subject = Reset your Atelier password
mail-reset-intro = Someone asked to reset the password of your Atelier account.
mail-reset-action = Choose a new password
mail-reset-outro = The link works once, for { $valid }. If it was not you, ignore this mail; your password stays as it is.

mail-email-change-subject = Confirm your new Atelier e-mail address
mail-email-change-intro = Please confirm that this address should sign in to your Atelier account.
mail-email-change-action = Use this address
mail-email-change-outro = The link works once, for { $valid }. Until you open it, your account keeps its current address. If you did not ask for this, ignore this mail.

mail-email-change-notice-subject = Your Atelier e-mail address is changing
mail-email-change-notice-intro = Someone asked to move your Atelier account to { $new_email }. The change happens only when the link sent to that address is opened.
mail-email-change-notice-action = Reset my password
mail-email-change-notice-outro = If it was not you, reset your password now: whoever asked knows it.

mail-export-ready-subject = Your Atelier data is ready to download
mail-export-ready-intro = The copy of your data you asked for is ready. Sign in to download it from your privacy page; only you can download it.
mail-export-ready-action = Open my privacy page
mail-export-ready-outro = It is kept until { $expires } and then deleted.

mail-farewell-subject = Your Atelier account has been deleted
mail-farewell-intro = Your Atelier account and everything in it (photos, portraits, tokens, history) was deleted on { $deleted } at your request.
mail-farewell-action = Visit Atelier
mail-farewell-outro = Only the amounts and dates of your purchases are kept, as accounting law requires, and they no longer name you. Nothing else can be recovered. You are welcome to sign up again with this address at any time.

mail-policy-subject = Changes to the Atelier { $title }
mail-policy-intro = We are updating our { $title }. Version { $version } takes effect on { $effective }. What changes: { $summary }
mail-policy-action = Read the new version
mail-policy-outro = Please read it before then; we will ask you to accept it when it takes effect. If you do not agree, you can download your data and delete your account on the privacy page at any time.

# Support tickets: $number is the ticket number, $account is "yes" when the submitter has an
# account (and can follow the ticket on the site), else "no".
mail-support-received-subject = We received your request #{ $number }: { $subject }
mail-support-received-intro = Thank you for writing to Atelier support. Your request is ticket #{ $number } ("{ $subject }"). We answer within { $hours ->
    [one] one hour
   *[other] { $hours } hours
}.
mail-support-received-action = { $account ->
    [yes] See my ticket
   *[no] Read the answers to common questions
}
mail-support-received-outro = { $account ->
    [yes] You can add details on your ticket's page; our answer will also come by e-mail.
   *[no] Our answer will come to this address. If you write again, please quote ticket #{ $number }.
}

mail-support-reply-subject = Re: { $subject } (ticket #{ $number })
mail-support-reply-intro = Atelier support answered your request #{ $number }: { $reply }
mail-support-reply-action = { $account ->
    [yes] See the conversation
   *[no] Write to us again
}
mail-support-reply-outro = { $account ->
    [yes] To answer, add a message on your ticket's page.
   *[no] To answer, use the contact form and quote ticket #{ $number }.
}
