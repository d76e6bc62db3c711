//! [`ListOptions`]: what [`Client::list_activities`](crate::Client::list_activities) lists —
//! a query, a page size and an optional limit, all given before the first page is fetched.

/// What to list: a List Filter query, how many executions each page asks for, and how many to
/// yield at most.
///
/// Queries use the List Filter syntax of Temporal visibility with the fields `ActivityId`,
/// `ActivityType`, `ExecutionStatus`, `TaskQueue`, `ExecutionTime`, `StartTime`, `CloseTime`
/// and custom search attributes, for example
/// `ActivityType = 'compose_greeting' AND ExecutionStatus = 'Running'`. (The status field is
/// `ExecutionStatus`; `Status` is rejected.) An empty query lists everything.
///
/// A query converts into options with the defaults, so `list_activities("…")` works too.
///
/// ```
/// use solo_client::ListOptions;
///
/// let options = ListOptions::new("TaskQueue = 'my-standalone-activity-task-queue'")
///     .page_size(100)
///     .limit(500);
/// assert_eq!(options.get_page_size(), 100);
/// assert_eq!(ListOptions::from("").get_page_size(), ListOptions::DEFAULT_PAGE_SIZE);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOptions {
    query: String,
    page_size: u32,
    limit: Option<usize>,
}

impl ListOptions {
    /// The page size asked for unless [`page_size`](Self::page_size) says otherwise.
    pub const DEFAULT_PAGE_SIZE: u32 = 1000;

    /// Lists the executions that match `query`, with the default page size and no limit.
    pub fn new(query: impl Into<String>) -> Self {
        ListOptions {
            query: query.into(),
            page_size: Self::DEFAULT_PAGE_SIZE,
            limit: None,
        }
    }

    /// Sets how many executions each page request asks for (default
    /// [`DEFAULT_PAGE_SIZE`](Self::DEFAULT_PAGE_SIZE); `0` lets the server choose its
    /// maximum).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = page_size;
        self
    }

    /// Stops after `limit` executions (default: all that match); the last page asks for no
    /// more than are still wanted.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The query.
    pub fn get_query(&self) -> &str {
        &self.query
    }

    /// The page size.
    pub fn get_page_size(&self) -> u32 {
        self.page_size
    }

    /// The limit, if any.
    pub fn get_limit(&self) -> Option<usize> {
        self.limit
    }
}

impl From<&str> for ListOptions {
    fn from(query: &str) -> Self {
        ListOptions::new(query)
    }
}

impl From<String> for ListOptions {
    fn from(query: String) -> Self {
        ListOptions::new(query)
    }
}

impl From<&String> for ListOptions {
    fn from(query: &String) -> Self {
        ListOptions::new(query.as_str())
    }
}

/// Refuses, before anything is sent, a query no server can accept: one holding a NUL
/// character (the dev server's SQL store answers it with `UNAVAILABLE`, which a waiting call
/// would retry for ever).
pub(crate) fn check_query(query: &str) -> Result<(), crate::call_error::CallError> {
    if query.contains('\0') {
        return Err(crate::call_error::CallError::InvalidQuery {
            query: query.to_owned(),
            message: "it contains a NUL character (\\0), which no visibility query can hold; remove it (nothing was sent)".to_owned(),
        });
    }
    Ok(())
}
