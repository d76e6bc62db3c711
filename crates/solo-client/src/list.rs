//! Listing activity executions: [`ActivityList`], a lazy stream over the pages of a query, and
//! [`Client::list_activities_page`], one [`ActivityPage`] at a time.
//!
//! Visibility is eventually consistent: an activity started a moment ago may not be listed
//! yet.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;
use futures_util::stream::BoxStream;
use solo_proto::temporal::api::workflowservice::v1::ListActivityExecutionsRequest;

use crate::call::{CallCore, CallKind};
use crate::call_error::CallError;
use crate::client::Client;
use crate::execution::ActivityExecution;
use crate::list_options::ListOptions;
use crate::list_options::check_query;
use crate::rpc::LIST_ACTIVITY_EXECUTIONS;
use crate::status::Target;

/// A lazy stream of the activity executions a [`ListOptions`] selects, from
/// [`Client::list_activities`](crate::Client::list_activities).
///
/// Nothing is sent until the stream is first polled; pages are fetched as they are consumed,
/// in the server's order. After an error the stream ends.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use solo_client::ListOptions;
///
/// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
/// let mut activities = client.list_activities(
///     ListOptions::new("TaskQueue = 'my-standalone-activity-task-queue'")
///         .page_size(100)
///         .limit(500),
/// );
/// while let Some(info) = activities.try_next().await? {
///     println!("{} {} {}", info.activity_id, info.activity_type, info.status);
/// }
/// # Ok(())
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct ActivityList {
    options: ListOptions,
    stream: BoxStream<'static, Result<ActivityExecution, CallError>>,
}

impl fmt::Debug for ActivityList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivityList")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ActivityList {
    /// The listing `options` select; nothing is sent until the stream is polled.
    pub(crate) fn new(core: CallCore, options: ListOptions) -> Self {
        let query = options.get_query().to_owned();
        let fetch = move |token: Bytes, page_size: u32| {
            let core = core.clone();
            let query = query.clone();
            async move { list_page(&core, query, token, page_size).await }
        };
        let stream = Box::pin(paginate(
            fetch,
            options.get_page_size(),
            options.get_limit(),
        ));
        ActivityList { options, stream }
    }
}

impl Stream for ActivityList {
    type Item = Result<ActivityExecution, CallError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.as_mut().poll_next(cx)
    }
}

/// One page of a listing, from [`Client::list_activities_page`](crate::Client::list_activities_page).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct ActivityPage {
    /// The executions of this page, in the server's order.
    pub executions: Vec<ActivityExecution>,
    /// The token of the next page, or `None` after the last page.
    pub next_page_token: Option<Bytes>,
}

impl ActivityPage {
    /// Fetches the page of `query` that `token` names (the first page when empty).
    pub(crate) async fn fetch(
        core: &CallCore,
        query: String,
        token: Bytes,
        page_size: u32,
    ) -> Result<ActivityPage, CallError> {
        let (executions, next) = list_page(core, query, token, page_size).await?;
        Ok(ActivityPage {
            executions,
            next_page_token: (!next.is_empty()).then_some(next),
        })
    }
}

impl Client {
    /// Fetches one page of the executions `options` select (its query and page size; a limit
    /// smaller than the page size shrinks the page): pass `None` for the first page, then
    /// each page's [`next_page_token`](ActivityPage::next_page_token) until it is `None`.
    /// For a stream over all pages, use [`list_activities`](Self::list_activities).
    ///
    /// ```no_run
    /// use solo_client::ListOptions;
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let options = ListOptions::new("ExecutionStatus = 'Running'").page_size(50);
    /// let mut token = None;
    /// loop {
    ///     let page = client.list_activities_page(options.clone(), token).await?;
    ///     for info in &page.executions {
    ///         println!("{} {}", info.activity_id, info.status);
    ///     }
    ///     match page.next_page_token {
    ///         Some(next) => token = Some(next),
    ///         None => break,
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::InvalidQuery`] when the server rejects the query (or the token), and the
    /// other call errors.
    pub async fn list_activities_page(
        &self,
        options: impl Into<ListOptions>,
        next_page_token: Option<Bytes>,
    ) -> Result<ActivityPage, CallError> {
        let options = options.into();
        let mut page_size = options.get_page_size();
        if let Some(limit) = options.get_limit() {
            let limit = u32::try_from(limit).unwrap_or(u32::MAX);
            if page_size == 0 || limit < page_size {
                page_size = limit;
            }
        }
        ActivityPage::fetch(
            self.core(),
            options.get_query().to_owned(),
            next_page_token.unwrap_or_default(),
            page_size,
        )
        .await
    }
}

/// Fetches one page of a listing: its executions and the next page token.
async fn list_page(
    core: &CallCore,
    query: String,
    token: Bytes,
    page_size: u32,
) -> Result<(Vec<ActivityExecution>, Bytes), CallError> {
    check_query(&query)?;
    let message = ListActivityExecutionsRequest {
        namespace: core.namespace().to_owned(),
        page_size: i32::try_from(page_size).unwrap_or(i32::MAX),
        next_page_token: token,
        query: query.clone(),
    };
    let response = core
        .call(
            LIST_ACTIVITY_EXECUTIONS,
            message,
            Target::Query { query: &query },
            CallKind::Waiting,
        )
        .await?;
    let items = response
        .executions
        .into_iter()
        .map(ActivityExecution::from_proto)
        .collect();
    Ok((items, response.next_page_token))
}

struct Pager<T, F> {
    fetch: F,
    token: Bytes,
    buffer: VecDeque<T>,
    last_page: bool,
    yielded: usize,
    page_size: u32,
    limit: Option<usize>,
}

/// Pages through a listing: `fetch(token, page_size)` returns one page and the next token
/// (empty on the last page). Stops at `limit` items, after the last page, or after an error.
pub(crate) fn paginate<T, F, Fut>(
    fetch: F,
    page_size: u32,
    limit: Option<usize>,
) -> impl Stream<Item = Result<T, CallError>>
where
    F: FnMut(Bytes, u32) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Bytes), CallError>>,
{
    let pager = Pager {
        fetch,
        token: Bytes::new(),
        buffer: VecDeque::new(),
        last_page: false,
        yielded: 0,
        page_size,
        limit,
    };
    futures_util::stream::unfold(Some(pager), |state| async move {
        let mut pager = state?;
        loop {
            if pager.limit.is_some_and(|l| pager.yielded >= l) {
                return None;
            }
            if let Some(item) = pager.buffer.pop_front() {
                pager.yielded += 1;
                return Some((Ok(item), Some(pager)));
            }
            if pager.last_page {
                return None;
            }
            let mut size = pager.page_size;
            if let Some(limit) = pager.limit {
                let remaining = u32::try_from(limit - pager.yielded).unwrap_or(u32::MAX);
                if size == 0 || remaining < size {
                    size = remaining;
                }
            }
            match (pager.fetch)(pager.token.clone(), size).await {
                Ok((items, next)) => {
                    pager.buffer.extend(items);
                    pager.last_page = next.is_empty();
                    pager.token = next;
                }
                Err(e) => return Some((Err(e), None)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;
    use std::sync::{Arc, Mutex};

    type Calls = Arc<Mutex<Vec<(Vec<u8>, u32)>>>;
    type Page = futures_util::future::Ready<Result<(Vec<u32>, Bytes), CallError>>;

    /// A fake server holding `total` numbered items, answering pages of the requested size.
    fn fake(total: u32, fail_on_call: Option<usize>) -> (Calls, impl FnMut(Bytes, u32) -> Page) {
        let calls: Calls = Arc::default();
        let log = calls.clone();
        let fetch = move |token: Bytes, size: u32| {
            let mut log = log.lock().unwrap();
            log.push((token.to_vec(), size));
            if fail_on_call == Some(log.len()) {
                return futures_util::future::ready(Err(CallError::InvalidQuery {
                    query: "q".into(),
                    message: "boom".into(),
                }));
            }
            let start: u32 = if token.is_empty() {
                0
            } else {
                std::str::from_utf8(&token).unwrap().parse().unwrap()
            };
            let size = if size == 0 { 4 } else { size };
            let end = (start + size).min(total);
            let next = if end < total {
                Bytes::from(end.to_string())
            } else {
                Bytes::new()
            };
            futures_util::future::ready(Ok(((start..end).collect(), next)))
        };
        (calls, fetch)
    }

    fn collect<T>(s: impl Stream<Item = Result<T, CallError>>) -> Vec<Result<T, CallError>> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(s.collect())
    }

    #[test]
    fn pages_through_every_item_in_order() {
        let (calls, fetch) = fake(7, None);
        let items: Vec<u32> = collect(paginate(fetch, 3, None))
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(items, (0..7).collect::<Vec<_>>());
        let calls = calls.lock().unwrap();
        assert_eq!(calls.len(), 3);
        assert_eq!(calls[0], (vec![], 3));
        assert_eq!(calls[1], (b"3".to_vec(), 3));
    }

    #[test]
    fn limit_stops_early_and_shrinks_the_last_page() {
        let (calls, fetch) = fake(100, None);
        let items = collect(paginate(fetch, 4, Some(6)));
        assert_eq!(items.len(), 6);
        let calls = calls.lock().unwrap();
        assert_eq!(calls.iter().map(|c| c.1).collect::<Vec<_>>(), vec![4, 2]);
    }

    #[test]
    fn limit_zero_fetches_nothing() {
        let (calls, fetch) = fake(5, None);
        assert!(collect(paginate(fetch, 4, Some(0))).is_empty());
        assert!(calls.lock().unwrap().is_empty());
    }

    #[test]
    fn an_error_is_yielded_once_and_ends_the_stream() {
        let (_, fetch) = fake(10, Some(2));
        let items = collect(paginate(fetch, 4, None));
        assert_eq!(items.len(), 5);
        assert!(items[..4].iter().all(Result::is_ok));
        assert!(matches!(items[4], Err(CallError::InvalidQuery { .. })));
    }

    #[test]
    fn nothing_is_fetched_until_polled() {
        let (calls, fetch) = fake(5, None);
        let stream = paginate(fetch, 4, None);
        assert!(calls.lock().unwrap().is_empty());
        drop(stream);
    }
}
