//! [`GrpcService`]: the type-erased service every call of a connection goes through.

use tonic::body::Body;
use tower::util::BoxCloneSyncService;

/// The type-erased gRPC service behind a [`Connection`](crate::Connection): the tonic channel wrapped in the
/// metadata layer and the call layer (retries, deadlines, observers). `Clone`, `Send` and
/// `Sync`; cloning it is cheap.
///
/// Its error is a `tonic::Status` (transport failures converted as tonic converts them), not a
/// boxed error: with a boxed `dyn Error` as the service error, rustc cannot prove the futures
/// of a generated client `Send` inside an `async` block, so they could not be spawned.
pub type GrpcService =
    BoxCloneSyncService<http::Request<Body>, http::Response<Body>, tonic::Status>;
