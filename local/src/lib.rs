//! Local stand-ins for what AWS does around the Closeloop functions: the SAM template as the
//! source of truth, table creation in the emulator, and the API Gateway / EventBridge /
//! DynamoDB Streams event documents. Used by the `closeloop-local` runner and by tests.

pub mod events;
pub mod filter;
pub mod identities;
pub mod oidc;
pub mod table;
pub mod template;

pub use events::{
    api_gateway_v2_event, parse_api_response, scheduled_event, scheduler_input,
    scheduler_schedule_arn, stream_event, ApiResponse, IncomingRequest, SchedulerContext,
    ACCOUNT_ID, REGION,
};
pub use identities::{DevIdentities, DevIdentity};
pub use table::create_table;
pub use template::{
    parse_rate, IndexDef, Route, RouteMatch, Schedule, StreamSubscription, TableDef, Template,
    TemplateError,
};
