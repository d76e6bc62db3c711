//! [`Client`]: a connection bound to a namespace, an identity, a data converter and
//! interceptors, with the calls that start, find, list and count activities.

use std::fmt;

use solo_connect::{ClientConfig, Connection};
use solo_proto::temporal::api::common::v1::Payload;
use solo_proto::temporal::api::workflowservice::v1::CountActivityExecutionsRequest;

use crate::activity::Activity;
use crate::args::ActivityArgs;
use crate::async_activity::{AsyncActivityHandle, AsyncActivityId};
use crate::call::{CallCore, CallKind};
use crate::call_error::CallError;
use crate::call_options::CallOptions;
use crate::client_options::{ClientOptions, default_identity};
use crate::converter::DataConverter;
use crate::execution::ActivityExecutionCount;
use crate::handle::ActivityHandle;
use crate::input::IntoActivityInput;
use crate::list::ActivityList;
use crate::list_options::{ListOptions, check_query};
use crate::options::ActivityOptions;
use crate::outcome_error::OutcomeError;
use crate::rpc::COUNT_ACTIVITY_EXECUTIONS;
use crate::start::{StartDelaySupport, start};
use crate::start_error::StartError;
use crate::status::Target;
use crate::value::DecodePayload;

/// A Temporal client for Standalone Activities.
///
/// A `Client` is a [`Connection`] bound to a namespace, an identity, a data converter and
/// interceptors. Cloning it is cheap (an `Arc` increment) and clones share the connection, so
/// make one at start-up and pass clones around; there is no need to wrap it in an `Arc`.
///
/// ```no_run
/// use solo_client::{Activity, ActivityOptions, Client};
/// use std::time::Duration;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct ComposeGreetingInput { greeting: String, name: String }
///
/// struct ComposeGreeting;
/// impl Activity for ComposeGreeting {
///     type Input = ComposeGreetingInput;
///     type Output = String;
///     fn name(&self) -> &str { "compose_greeting" }
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::connect_default().await?;
/// let greeting = client
///     .execute_activity(
///         ComposeGreeting,
///         ComposeGreetingInput { greeting: "Hello".into(), name: "World".into() },
///         ActivityOptions::new()
///             .id("my-standalone-activity-id")
///             .task_queue("my-standalone-activity-task-queue")
///             .start_to_close_timeout(Duration::from_secs(10)),
///     )
///     .await?;
/// println!("Activity result: {greeting}");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    core: CallCore,
    start_delay: StartDelaySupport,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("namespace", &self.core.namespace())
            .field("identity", &self.core.identity())
            .field("data_converter", self.core.converter())
            .field("interceptors", &self.core.interceptor_count())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects with a loaded client configuration (address, namespace, TLS, API key), using
    /// default [`ClientOptions`].
    ///
    /// ```no_run
    /// use solo_client::{Client, ClientConfig};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = ClientConfig::load()?.with_namespace("orders");
    /// let client = Client::connect(config).await?;
    /// assert_eq!(client.namespace(), "orders");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::Connect`] when the server cannot be reached or refuses the connection.
    pub async fn connect(config: ClientConfig) -> Result<Client, CallError> {
        let connection = Connection::connect_config(&config)
            .await
            .map_err(|e| CallError::Connect(Box::new(e)))?;
        Ok(Client::new(connection, ClientOptions::default()))
    }

    /// Loads the default profile (`TEMPORAL_*` environment variables and `temporal.toml`, as
    /// every Temporal SDK does) and connects with it: the seed's three lines of set-up in one.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), solo_client::CallError> {
    /// let client = solo_client::Client::connect_default().await?;
    /// println!("connected to namespace {}", client.namespace());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::Config`] when the configuration cannot be loaded, [`CallError::Connect`] when the
    /// server cannot be reached.
    pub async fn connect_default() -> Result<Client, CallError> {
        let config = ClientConfig::load().map_err(|e| CallError::Config(Box::new(e)))?;
        Client::connect(config).await
    }

    /// Binds an existing connection to client options. Does no I/O.
    ///
    /// ```no_run
    /// use solo_client::{Client, ClientOptions, Connection, ConnectionOptions};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let connection = Connection::connect(ConnectionOptions::new("localhost:7233")).await?;
    /// let orders = Client::new(connection.clone(), ClientOptions::new().namespace("orders"));
    /// let billing = Client::new(connection, ClientOptions::new().namespace("billing"));
    /// # let _ = (orders, billing);
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(connection: Connection, options: ClientOptions) -> Client {
        let namespace = options
            .namespace
            .unwrap_or_else(|| connection.namespace().to_owned());
        Client {
            core: CallCore::new(
                connection,
                namespace,
                options.identity.unwrap_or_else(default_identity),
                options.data_converter,
                options.interceptors,
                options.long_poll_timeout,
            ),
            start_delay: StartDelaySupport::default(),
        }
    }

    /// The underlying connection, for calls this client does not wrap.
    pub fn connection(&self) -> &Connection {
        self.core.connection()
    }

    /// The namespace every call of this client targets.
    pub fn namespace(&self) -> &str {
        self.core.namespace()
    }

    /// The identity recorded with the calls that change an activity.
    pub fn identity(&self) -> &str {
        self.core.identity()
    }

    /// The data converter used for inputs, results and details.
    pub fn data_converter(&self) -> &DataConverter {
        self.core.converter()
    }

    /// The call core, for the worker's raw task API.
    pub(crate) fn core(&self) -> &CallCore {
        &self.core
    }

    /// Starts an activity and returns a handle to it, without waiting for it to run.
    ///
    /// The activity is durably scheduled when this returns; a worker polling the task queue
    /// will run it. The input is encoded with the client's data converter as one argument
    /// (none for `()`).
    ///
    /// ```no_run
    /// use solo_client::{Activity, ActivityOptions, Client};
    /// use std::time::Duration;
    ///
    /// struct ComposeGreeting;
    /// impl Activity for ComposeGreeting {
    ///     type Input = String;
    ///     type Output = String;
    ///     fn name(&self) -> &str { "compose_greeting" }
    /// }
    ///
    /// # async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let handle = client
    ///     .start_activity(
    ///         ComposeGreeting,
    ///         "World".to_owned(),
    ///         ActivityOptions::new()
    ///             .id("greet-1")
    ///             .task_queue("greetings")
    ///             .start_to_close_timeout(Duration::from_secs(10)),
    ///     )
    ///     .await?;
    /// println!("started run {:?}", handle.run_id());
    /// let greeting: String = handle.result().await?;
    /// # let _ = greeting;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`StartError::AlreadyStarted`] when the id is taken, [`StartError::InvalidOptions`] or
    /// [`StartError::StartDelayUnsupported`] before anything is sent, [`StartError::Data`]
    /// when the input does not encode, and [`StartError::Call`] when the call fails
    /// ([`CallError::Rejected`], [`CallError::Transport`], [`CallError::NamespaceNotFound`]).
    pub async fn start_activity<A: Activity>(
        &self,
        activity: A,
        input: impl IntoActivityInput<A::Input>,
        options: ActivityOptions,
    ) -> Result<ActivityHandle<A::Output>, StartError> {
        let input = input.into_activity_input();
        let payloads = self.core.converter().encode_activity_input(&input).await?;
        self.start_encoded(activity.name(), payloads.payloads, &options)
            .await
    }

    /// Starts an activity and waits for its result: [`start_activity`](Self::start_activity)
    /// then [`ActivityHandle::result`].
    ///
    /// ```no_run
    /// use solo_client::{Activity, ActivityOptions, Client, RetryPolicy};
    /// use std::time::Duration;
    ///
    /// struct Charge;
    /// impl Activity for Charge {
    ///     type Input = u64;
    ///     type Output = String;
    ///     fn name(&self) -> &str { "charge" }
    /// }
    ///
    /// # async fn run(client: Client) -> Result<(), solo_client::OutcomeError> {
    /// let options = ActivityOptions::new()
    ///     .id("charge-42")
    ///     .task_queue("payments")
    ///     .start_to_close_timeout(Duration::from_secs(30))
    ///     .retry_policy(RetryPolicy::new().maximum_attempts(3));
    /// match client.execute_activity(Charge, 4200, options).await {
    ///     Ok(receipt) => println!("charged: {receipt}"),
    ///     Err(e) if e.is_activity_outcome() => println!("the charge failed: {e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// Those of [`ActivityHandle::result`], and [`OutcomeError::Start`] with those of
    /// [`start_activity`](Self::start_activity).
    pub async fn execute_activity<A: Activity>(
        &self,
        activity: A,
        input: impl IntoActivityInput<A::Input>,
        options: ActivityOptions,
    ) -> Result<A::Output, OutcomeError> {
        self.start_activity(activity, input, options)
            .await?
            .result()
            .await
    }

    /// Starts an activity by its type name with zero or more arguments, one payload each —
    /// for activities implemented elsewhere (for example in Python), as Python's
    /// `start_activity("name", args=[...])`.
    ///
    /// ```no_run
    /// use solo_client::{ActivityHandle, ActivityOptions, Client};
    /// use std::time::Duration;
    ///
    /// # async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let options = ActivityOptions::new()
    ///     .id("greet-2")
    ///     .task_queue("greetings")
    ///     .start_to_close_timeout(Duration::from_secs(10));
    /// let handle: ActivityHandle<String> = client
    ///     .start_activity_by_name(
    ///         "compose_greeting",
    ///         (serde_json::json!({"greeting": "Hello", "name": "World"}),),
    ///         options,
    ///     )
    ///     .await?;
    /// println!("{}", handle.result().await?);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`start_activity`](Self::start_activity).
    pub async fn start_activity_by_name<O: DecodePayload>(
        &self,
        activity_type: &str,
        args: impl ActivityArgs,
        options: ActivityOptions,
    ) -> Result<ActivityHandle<O>, StartError> {
        let converter = self.core.converter();
        let payloads = args.into_payloads_with(converter.payload_converter())?;
        let payloads = converter.encode_payloads(payloads).await?;
        self.start_encoded(activity_type, payloads, &options).await
    }

    /// Starts an activity by its type name and waits for its result.
    ///
    /// ```no_run
    /// use solo_client::{ActivityOptions, Client};
    /// use std::time::Duration;
    ///
    /// # async fn run(client: Client) -> Result<(), solo_client::OutcomeError> {
    /// let options = ActivityOptions::new()
    ///     .id("sum-1")
    ///     .task_queue("math")
    ///     .start_to_close_timeout(Duration::from_secs(10));
    /// let total: i64 = client.execute_activity_by_name("add", (2, 3), options).await?;
    /// assert_eq!(total, 5);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`execute_activity`](Self::execute_activity).
    pub async fn execute_activity_by_name<O: DecodePayload>(
        &self,
        activity_type: &str,
        args: impl ActivityArgs,
        options: ActivityOptions,
    ) -> Result<O, OutcomeError> {
        self.start_activity_by_name::<O>(activity_type, args, options)
            .await?
            .result()
            .await
    }

    async fn start_encoded<O>(
        &self,
        activity_type: &str,
        input: Vec<Payload>,
        options: &ActivityOptions,
    ) -> Result<ActivityHandle<O>, StartError> {
        let started = start(&self.core, &self.start_delay, activity_type, input, options).await?;
        Ok(ActivityHandle::new(
            self.core.clone(),
            started.activity_id,
            started.run_id,
        ))
    }

    /// A handle to an activity that was started elsewhere, by id and optionally run id.
    ///
    /// Without a run id the handle targets the *latest* run with that id, which may be a run
    /// started after this call. No I/O happens until a method of the handle is called.
    ///
    /// ```no_run
    /// use solo_client::{ActivityHandle, Client};
    ///
    /// # async fn run(client: Client) -> Result<(), solo_client::OutcomeError> {
    /// let handle: ActivityHandle<String> =
    ///     client.get_activity_handle("my-standalone-activity-id", None);
    /// let result = handle.result().await?;
    /// # let _ = result;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_activity_handle<O>(
        &self,
        activity_id: impl Into<String>,
        run_id: Option<String>,
    ) -> ActivityHandle<O> {
        ActivityHandle::new(
            self.core.clone(),
            activity_id.into(),
            run_id.filter(|r| !r.is_empty()),
        )
    }

    /// A handle to heartbeat, complete, fail or cancel an activity that completes
    /// asynchronously (its activity returned
    /// [`ActivityError::complete_async`](crate::ActivityError::complete_async)), by its id
    /// and run id or by the task token of its attempt. Any program with a client in the
    /// activity's namespace may hold one. No I/O happens until a method of the handle is
    /// called.
    ///
    /// ```no_run
    /// use solo_client::{AsyncActivityId, Client};
    ///
    /// # async fn run(client: Client, task_token: Vec<u8>) -> Result<(), solo_client::AsyncCompletionError> {
    /// let handle = client.get_async_activity_handle(AsyncActivityId::task_token(task_token));
    /// handle.complete(&"approved").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn get_async_activity_handle(&self, id: AsyncActivityId) -> AsyncActivityHandle {
        AsyncActivityHandle::new(self.core.clone(), id)
    }

    /// Lists the standalone activity executions that match a List Filter query, as a lazy
    /// stream that fetches pages as it is consumed. Takes a [`ListOptions`] (query, page size,
    /// limit) or just the query; an empty query lists everything.
    ///
    /// ```no_run
    /// use futures::TryStreamExt;
    /// use solo_client::ListOptions;
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let mut activities = client.list_activities("TaskQueue = 'my-standalone-activity-task-queue'");
    /// while let Some(info) = activities.try_next().await? {
    ///     println!("ActivityID: {}, Type: {}, Status: {}", info.activity_id, info.activity_type, info.status);
    /// }
    ///
    /// // The first ten, a page of ten at a time.
    /// let first = client.list_activities(ListOptions::new("").page_size(10).limit(10));
    /// let first: Vec<_> = first.try_collect().await?;
    /// # let _ = first;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Items are `Err` with [`CallError::InvalidQuery`] when the server rejects the query (the
    /// stream ends after an error).
    pub fn list_activities(&self, options: impl Into<ListOptions>) -> ActivityList {
        ActivityList::new(self.core.clone(), options.into())
    }

    /// A client making every call with `options` (an RPC deadline and headers): starts,
    /// listings, counts, and the handles it returns. This client is unchanged; both share
    /// the connection.
    ///
    /// ```no_run
    /// use solo_client::CallOptions;
    /// use std::time::Duration;
    ///
    /// # async fn run(client: solo_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let traced = client.with_call_options(CallOptions::new().header("x-trace-tenant", "acme")?);
    /// let count = traced.count_activities("").await?;
    /// let patient = client.with_call_options(CallOptions::new().timeout(Duration::from_secs(120)));
    /// let _ = (count, patient);
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_call_options(&self, options: CallOptions) -> Client {
        Client {
            core: self.core.with_options(options),
            start_delay: self.start_delay.clone(),
        }
    }

    /// Counts the standalone activity executions that match a List Filter query; with
    /// `GROUP BY ExecutionStatus` the count is also split by status.
    ///
    /// ```no_run
    /// # async fn run(client: solo_client::Client) -> Result<(), solo_client::CallError> {
    /// let count = client
    ///     .count_activities("TaskQueue = 'my-standalone-activity-task-queue' GROUP BY ExecutionStatus")
    ///     .await?;
    /// println!("Total activities: {}", count.count);
    /// for group in &count.groups {
    ///     println!("Group {:?}: {}", group.status(), group.count);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`CallError::InvalidQuery`] when the server rejects the query, and the other call
    /// errors.
    pub async fn count_activities(
        &self,
        query: impl Into<String>,
    ) -> Result<ActivityExecutionCount, CallError> {
        let query = query.into();
        check_query(&query)?;
        let message = CountActivityExecutionsRequest {
            namespace: self.namespace().to_owned(),
            query: query.clone(),
        };
        let response = self
            .core
            .call(
                COUNT_ACTIVITY_EXECUTIONS,
                message,
                Target::Query { query: &query },
                CallKind::Waiting,
            )
            .await?;
        Ok(ActivityExecutionCount::from_proto(response))
    }
}

#[cfg(test)]
mod tests;
