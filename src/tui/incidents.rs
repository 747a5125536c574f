//! The hub's other incidents, as the console sees them: the list kept current by the
//! hub's `incident_changed` news, a banner (one line above the header, in the
//! severity's colour) when one is declared or escalated to SEV1/SEV2, `J` to jump to
//! it, and the switcher (`L`, or the palette) that lists every incident by severity,
//! status and recency and moves to one of them or back to the lobby. Leaving with
//! unsent work asks first, as quitting does.

use super::app::{App, Effect};
use super::modal::Modal;
use super::panes::{Picker, Purpose, Reaction, fit_line};
use super::theme::Meaning;
use crate::engine::IncidentSummary;
use crate::incident::{Severity, Status};
use crate::net::IncidentNews;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// Where the console goes instead of the current incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Lobby,
    Incident(String),
}

/// An announcement waiting for the responder: another incident was declared or became
/// SEV1/SEV2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Banner {
    pub id: String,
    pub severity: Option<Severity>,
    pub text: String,
    /// Announcements that arrived before this one and were not looked at.
    pub earlier: usize,
}

/// The switcher's answer for the lobby (incident ids cannot contain `:`).
const LOBBY: &str = ":lobby";
const SWITCH: &str = "switch";

/// Worst first: severity, then open before resolved, then the newest.
pub fn by_urgency(items: &mut [IncidentSummary]) {
    items.sort_by(|a, b| {
        let severity = |s: &IncidentSummary| s.severity.map_or(u8::MAX, Severity::rank);
        let status = |s: &IncidentSummary| match s.status {
            Status::Investigating => 0,
            Status::Identified => 1,
            Status::Monitoring => 2,
            Status::Resolved => 3,
        };
        severity(a)
            .cmp(&severity(b))
            .then(status(a).cmp(&status(b)))
            .then(b.declared_at.cmp(&a.declared_at))
            .then(a.id.cmp(&b.id))
    });
}

impl App {
    /// News from the hub about any incident.
    pub fn on_news(&mut self, news: IncidentNews) {
        match news {
            IncidentNews::List(items) => {
                self.incidents = items.into_iter().map(|i| (i.id.clone(), i)).collect();
            }
            IncidentNews::Changed { item, previous } => {
                let here = item.id == self.state.id;
                let announce = match (&previous, item.severity) {
                    (None, _) => Some("declared"),
                    (Some(before), Some(now)) if now <= Severity::Sev2 => before
                        .severity
                        .is_none_or(|was| now < was)
                        .then_some("escalated to"),
                    _ => None,
                };
                if let (Some(verb), false) = (announce, here) {
                    let severity = item.severity.map_or("SEV?", Severity::code);
                    let verb = if verb == "declared" {
                        format!("{severity} declared")
                    } else {
                        format!("{verb} {severity}")
                    };
                    let earlier = self
                        .banner
                        .as_ref()
                        .filter(|b| b.id != item.id)
                        .map_or(0, |b| b.earlier + 1);
                    self.banner = Some(Banner {
                        id: item.id.clone(),
                        severity: item.severity,
                        text: format!("{} {verb}: {}", item.id, item.title),
                        earlier,
                    });
                }
                self.incidents.insert(item.id.clone(), item);
            }
        }
    }

    /// Every incident, the current one as this console sees it, worst first.
    pub fn incident_list(&self) -> Vec<IncidentSummary> {
        // A quarantined incident cannot be opened: the lobby and the hub name it.
        let mut items: Vec<IncidentSummary> = (self.incidents.values())
            .filter(|i| i.quarantined.is_none())
            .cloned()
            .collect();
        let state = &self.state;
        if !state.id.is_empty() {
            items.retain(|i| i.id != state.id);
            items.push(IncidentSummary::of_state(state));
        }
        by_urgency(&mut items);
        items
    }

    /// The switcher: the lobby, then every incident, worst first.
    pub(super) fn open_switcher(&mut self) -> Vec<Effect> {
        self.banner = None;
        let mut choices = vec![(
            LOBBY.to_string(),
            "← Lobby: every incident, declare a new one".to_string(),
        )];
        for item in self.incident_list() {
            let here = if item.id == self.state.id {
                " (this console)"
            } else {
                ""
            };
            let declared = item
                .declared_at
                .map_or(String::new(), |at| at.format("%m-%d %H:%M").to_string());
            choices.push((
                item.id.clone(),
                format!(
                    "{:<4} {:<13} {} {}{here}  {}",
                    item.severity.map_or("SEV?", Severity::code),
                    item.status.title(),
                    declared,
                    item.id,
                    item.title
                ),
            ));
        }
        let picker = Picker {
            owner: None,
            purpose: Purpose::Other(SWITCH.into()),
            title: "Incidents — Enter goes there, Esc stays".into(),
            choices,
        };
        self.react(None, Reaction::Pick(picker))
    }

    /// `J`: to the incident the banner announces.
    pub(super) fn jump_to_announced(&mut self) -> Vec<Effect> {
        match self.banner.take() {
            Some(banner) => self.leave(Destination::Incident(banner.id)),
            None => {
                self.toast = Some("no new incident announced: L lists them all".into());
                Vec::new()
            }
        }
    }

    /// The switcher's choice (a prompt purpose the console owns).
    pub(super) fn switch_chosen(&mut self, purpose: &Purpose, value: &str) -> Option<Vec<Effect>> {
        if *purpose != Purpose::Other(SWITCH.into()) {
            return None;
        }
        Some(match value {
            LOBBY => self.leave(Destination::Lobby),
            id if id == self.state.id => Vec::new(),
            id => self.leave(Destination::Incident(id.to_string())),
        })
    }

    /// Goes elsewhere, asking first if something typed or sent would be left behind.
    pub(super) fn leave(&mut self, to: Destination) -> Vec<Effect> {
        let detail = self.unsent_work();
        if detail.is_empty() {
            return vec![Effect::Switch(to)];
        }
        self.modal = Some(Modal::QuitConfirm {
            detail: detail.join("\n"),
            scroll: 0,
            to: Some(to),
        });
        Vec::new()
    }
}

/// The banner line: the announcement in its severity's colour, and the keys.
pub fn render_banner(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(banner) = &app.banner else {
        return;
    };
    let theme = &app.theme;
    let style = banner
        .severity
        .map_or(theme.style(Meaning::Warn), |s| {
            theme.style(Meaning::Severity(s))
        })
        .add_modifier(Modifier::BOLD | Modifier::REVERSED);
    let more = match banner.earlier {
        0 => String::new(),
        n => format!(" (+{n} more)"),
    };
    let keys = format!("{more}  J jump there · L all incidents ");
    let room = usize::from(area.width)
        .saturating_sub(unicode_width::UnicodeWidthStr::width(keys.as_str()));
    let mut spans = vec![Span::styled(
        super::panes::ellipsize(&format!(" ⚑ {} ", banner.text), room),
        style,
    )];
    spans.push(Span::styled(keys, theme.style(Meaning::Warn)));
    Paragraph::new(fit_line(Line::from(spans), usize::from(area.width))).render(area, buf);
}
