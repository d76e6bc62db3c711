//! What the server does when an activity id is already taken: [`IdReusePolicy`] (by a closed
//! activity) and [`IdConflictPolicy`] (by a running one).

use solo_proto::temporal::api::enums::v1 as enums;

/// What the server does when the activity id belongs to a *closed* activity.
///
/// The default is [`IdReusePolicy::AllowDuplicate`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdReusePolicy {
    /// Start a new run whatever way the previous one closed.
    #[default]
    AllowDuplicate,
    /// Start a new run only if the previous one failed, was cancelled, terminated or timed out.
    AllowDuplicateFailedOnly,
    /// Never reuse the id.
    RejectDuplicate,
}

impl IdReusePolicy {
    pub(crate) fn to_proto(self) -> enums::ActivityIdReusePolicy {
        match self {
            IdReusePolicy::AllowDuplicate => enums::ActivityIdReusePolicy::AllowDuplicate,
            IdReusePolicy::AllowDuplicateFailedOnly => {
                enums::ActivityIdReusePolicy::AllowDuplicateFailedOnly
            }
            IdReusePolicy::RejectDuplicate => enums::ActivityIdReusePolicy::RejectDuplicate,
        }
    }
}

/// What the server does when the activity id belongs to a *running* activity.
///
/// The default is [`IdConflictPolicy::Fail`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdConflictPolicy {
    /// Refuse the start with [`StartError::AlreadyStarted`](crate::StartError::AlreadyStarted).
    #[default]
    Fail,
    /// Return a handle to the running activity instead of starting a new one.
    UseExisting,
}

impl IdConflictPolicy {
    pub(crate) fn to_proto(self) -> enums::ActivityIdConflictPolicy {
        match self {
            IdConflictPolicy::Fail => enums::ActivityIdConflictPolicy::Fail,
            IdConflictPolicy::UseExisting => enums::ActivityIdConflictPolicy::UseExisting,
        }
    }
}
