# The studio's live photo check (web/upload_check.rs, static/app.js).
check-too-large = Too large (max { $max } MB)
check-too-many-pixels = Too many pixels (max { $max } megapixels)
check-not-supported = Not a supported image: choose a JPEG, PNG or WebP photo
check-unreadable = This image could not be read; re-save it as JPEG or PNG and try again
check-corrupt = This file is damaged or incomplete (perhaps cut short while copying); choose the original photo again
check-empty = Please choose a photo.
check-paused = Processing of your data is paused; resume it on the privacy page to upload.
check-no-face = No face found — portraits work best with one visible face
check-many-faces = Several faces ({ $faces }) — the portrait may look best with one
check-small = Small ({ $width }×{ $height }): at least 512 px on the shorter side recommended
check-good = Looks good: one face, { $width }×{ $height }
check-checking = Checking the photo…
check-unavailable = The photo could not be checked right now; you can still submit it.
check-preview-alt = Preview of the chosen photo
