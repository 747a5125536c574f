//! A data directory on disk: `incidents/<id>.jsonl`, one hash-chained log per incident.

use super::{EngineError, Incident, Submission};
use crate::incident::{Command, Runbooks, Severity, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where warroom keeps its incidents.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

/// One line of `warroom list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IncidentSummary {
    pub id: String,
    pub title: String,
    pub severity: Option<Severity>,
    pub status: Status,
    pub declared_at: Option<DateTime<Utc>>,
    pub commander: Option<String>,
    pub events: u64,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    /// `--data`, else `$WARROOM_DATA`, else `<user data dir>/warroom`.
    pub fn default_root() -> PathBuf {
        std::env::var_os("WARROOM_DATA")
            .map(PathBuf::from)
            .or_else(|| dirs::data_dir().map(|d| d.join("warroom")))
            .unwrap_or_else(|| PathBuf::from(".warroom"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn incidents_dir(&self) -> PathBuf {
        self.root.join("incidents")
    }

    pub fn log_path(&self, id: &str) -> PathBuf {
        self.incidents_dir().join(format!("{id}.jsonl"))
    }

    /// Incident ids, oldest first (ids sort by date, then number).
    pub fn ids(&self) -> Result<Vec<String>, EngineError> {
        let dir = self.incidents_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(cause) => {
                return Err(EngineError::Io {
                    path: dir.display().to_string(),
                    cause,
                });
            }
        };
        let mut ids: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                name.strip_suffix(".jsonl").map(str::to_string)
            })
            .collect();
        ids.sort_by_key(|id| sort_key(id));
        Ok(ids)
    }

    /// `INC-YYYYMMDD-N`, N one more than the day's highest.
    pub fn next_id(&self, now: DateTime<Utc>) -> Result<String, EngineError> {
        let prefix = format!("INC-{}-", now.format("%Y%m%d"));
        let highest = self
            .ids()?
            .iter()
            .filter_map(|id| id.strip_prefix(&prefix)?.parse::<u32>().ok())
            .max()
            .unwrap_or(0);
        Ok(format!("{prefix}{}", highest + 1))
    }

    pub fn open(&self, id: &str) -> Result<Incident, EngineError> {
        let path = self.log_path(id);
        if !path.exists() || crate::incident::limits::check_incident_id(id).is_err() {
            return Err(EngineError::NotFound(id.to_string()));
        }
        Ok(Incident::open(&path)?)
    }

    /// Declares a new incident. The submission's command must be `Declare`; its id is
    /// replaced by the next free one when empty.
    pub fn declare(
        &self,
        mut submission: Submission,
        now: DateTime<Utc>,
        runbooks: &Runbooks,
    ) -> Result<Incident, EngineError> {
        let dir = self.incidents_dir();
        crate::store::private::create_dir_all(&dir).map_err(|cause| EngineError::Io {
            path: dir.display().to_string(),
            cause,
        })?;
        if let Command::Declare { id, .. } = &mut submission.command
            && id.is_empty()
        {
            *id = self.next_id(now)?;
        }
        let id = match &submission.command {
            Command::Declare { id, .. } => id.clone(),
            _ => String::new(),
        };
        crate::incident::limits::check_incident_id(&id).map_err(EngineError::Rejected)?;
        if self.log_path(&id).exists() {
            return Err(EngineError::Rejected(crate::incident::Rejection::new(
                crate::incident::RejectCode::AlreadyExists,
                format!("incident {id} already exists"),
            )));
        }
        Incident::create(&self.log_path(&id), &submission, now, runbooks)
    }

    /// A summary of every incident. `on_torn` hears of each log whose unfinished final
    /// write was cut off while opening it, so the caller can say so.
    pub fn summaries(
        &self,
        mut on_torn: impl FnMut(&str, &crate::store::TornTail),
    ) -> Result<Vec<IncidentSummary>, EngineError> {
        let mut out = Vec::new();
        for id in self.ids()? {
            let incident = self.open(&id)?;
            if let Some(torn) = incident.torn_tail() {
                on_torn(&id, torn);
            }
            let state = incident.state();
            out.push(IncidentSummary {
                id: state.id.clone(),
                title: state.title.clone(),
                severity: state.severity,
                status: state.status,
                declared_at: state.declared_at,
                commander: state
                    .holder(crate::incident::Role::Commander)
                    .map(str::to_string),
                events: state.seq,
            });
        }
        Ok(out)
    }
}

/// Sorts `INC-20261122-10` after `INC-20261122-9`.
fn sort_key(id: &str) -> (String, u64, String) {
    match id.rsplit_once('-') {
        Some((head, n)) if n.chars().all(|c| c.is_ascii_digit()) => {
            (head.to_string(), n.parse().unwrap_or(0), String::new())
        }
        _ => (id.to_string(), 0, id.to_string()),
    }
}
