# The admin console's common ground: navigation and the 404 page.
nav-admin = Admin
not-found-title = Page not found
not-found-home = Back to the start page
admin-nav-label = Admin console
admin-nav-dashboard = Dashboard
admin-nav-users = Users
admin-nav-jobs = Jobs
admin-nav-tickets = Support tickets
admin-nav-reports = Abuse reports
admin-nav-purchases = Purchases
admin-nav-audit = Audit log
