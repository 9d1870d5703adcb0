//! The caller's scope: whose data a request may touch. Every user-scoped store call takes one,
//! so a query without a tenant cannot be written.

use super::UserId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Role {
        if text == "admin" {
            Role::Admin
        } else {
            Role::User
        }
    }
}

/// Proof that the holder acts for one user. Constructed only by authentication (a valid
/// session) and by the job runner acting for the owner of a claimed job; hence `pub(crate)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserScope {
    user_id: UserId,
    role: Role,
}

impl UserScope {
    pub(crate) fn trusted(user_id: UserId, role: Role) -> Self {
        UserScope { user_id, role }
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }
}
