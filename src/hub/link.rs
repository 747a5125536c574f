//! `GET /incidents/{id}`: where the links in what the hub sends out land (PagerDuty's
//! "Open in warroom", `<public_url>/incidents/<ID>`). The war room is a terminal
//! console, so the page says how to open the incident in it. It reveals nothing: it
//! needs no token, never says whether the incident exists, and answers only for a
//! well-formed incident id.

use super::HubState;
use crate::incident::limits::check_incident_id;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub async fn incident(State(hub): State<Arc<HubState>>, Path(id): Path<String>) -> Response {
    let plain = [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];
    if check_incident_id(&id).is_err() {
        return (StatusCode::NOT_FOUND, plain, "not an incident id\n").into_response();
    }
    let hub_url = hub.public_url.as_deref().unwrap_or("<this hub's URL>");
    let text = format!(
        "{id} is an incident on this warroom hub.\n\n\
         Open it in the war-room console (with your responder token):\n\n    \
         warroom join {hub_url} --incident {id}\n"
    );
    (plain, text).into_response()
}
