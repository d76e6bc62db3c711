//! [`ActivityWatch`]: the descriptions of one activity as it changes, from the server's
//! long-poll describe.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::BoxStream;

use crate::activity_ref::ActivityRef;
use crate::call_error::CallError;
use crate::description::{ActivityDescription, DescribeOptions};

/// A stream of [`ActivityDescription`]s from
/// [`ActivityHandle::watch`](crate::ActivityHandle::watch): the current one first, then one
/// per change, ending after the description of the closed activity or after an error.
#[must_use = "streams do nothing unless polled"]
pub struct ActivityWatch {
    stream: BoxStream<'static, Result<ActivityDescription, CallError>>,
}

impl fmt::Debug for ActivityWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivityWatch").finish_non_exhaustive()
    }
}

impl ActivityWatch {
    /// Watches `activity`; nothing is sent until the stream is polled.
    pub(crate) fn new(activity: ActivityRef) -> Self {
        let stream =
            futures_util::stream::unfold(Some(WatchState::Start(activity)), |state| async move {
                match state? {
                    WatchState::Start(activity) => {
                        let item = activity.describe(DescribeOptions::default()).await;
                        let next = next_watch_state(activity, &item);
                        Some((item, next))
                    }
                    WatchState::Follow {
                        activity,
                        run_id,
                        token,
                    } => {
                        let item = activity.describe_after(run_id, token).await;
                        let next = next_watch_state(activity, &item);
                        Some((item, next))
                    }
                }
            });
        ActivityWatch {
            stream: Box::pin(stream),
        }
    }
}

impl Stream for ActivityWatch {
    type Item = Result<ActivityDescription, CallError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

enum WatchState {
    Start(ActivityRef),
    Follow {
        activity: ActivityRef,
        run_id: String,
        token: Bytes,
    },
}

/// What to ask next after `item`: nothing after an error or once the activity has closed.
fn next_watch_state(
    activity: ActivityRef,
    item: &Result<ActivityDescription, CallError>,
) -> Option<WatchState> {
    let description = item.as_ref().ok()?;
    if description.status.is_closed() || description.long_poll_token.is_empty() {
        return None;
    }
    Some(WatchState::Follow {
        activity,
        run_id: description.run_id.clone(),
        token: description.long_poll_token.clone(),
    })
}
