//! Layouts: trees of rows, columns and tabs with pane kinds and ratios, read from
//! `layouts/*.toml` (embedded; user overrides in `<config dir>/warroom/layouts/`). One per
//! role, plus `compact`, which the console switches to below 100x30.

use crate::catalog::line_column;
use crate::incident::Role;
use ratatui::layout::{Constraint, Direction, Layout as Splitter, Rect};
use serde::Deserialize;
use std::path::Path;

pub const BUILT_IN: [(&str, &str); 5] = [
    ("commander", include_str!("../../layouts/commander.toml")),
    ("scribe", include_str!("../../layouts/scribe.toml")),
    ("comms", include_str!("../../layouts/comms.toml")),
    ("oncall", include_str!("../../layouts/oncall.toml")),
    ("compact", include_str!("../../layouts/compact.toml")),
];

/// Below this size the console uses the compact layout.
pub const COMPACT_BELOW: (u16, u16) = (100, 30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaneKind {
    Timeline,
    Checklist,
    Blast,
    Comms,
    Actions,
}

impl PaneKind {
    pub fn title(self) -> &'static str {
        match self {
            PaneKind::Timeline => "Timeline",
            PaneKind::Checklist => "Checklist",
            PaneKind::Blast => "Blast radius",
            PaneKind::Comms => "Comms",
            PaneKind::Actions => "Actions",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    Rows,
    Columns,
    Tabs,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub pane: Option<PaneKind>,
    pub direction: Option<Split>,
    #[serde(default = "one")]
    pub ratio: u16,
    #[serde(default)]
    pub node: Vec<Node>,
}

fn one() -> u16 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutFile {
    pub name: String,
    pub direction: Split,
    pub node: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub name: String,
    pub root: Node,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct LayoutError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Layout {
    pub fn parse(source: &str, file: &str) -> Result<Layout, LayoutError> {
        let error = |offset: usize, message: String| {
            let (line, column) = line_column(source, offset);
            LayoutError {
                file: file.to_string(),
                line,
                column,
                message,
            }
        };
        let parsed: LayoutFile = toml::from_str(source).map_err(|e| {
            let mut message = e.message().trim().to_string();
            if message.contains("unknown variant") && message.contains("timeline") {
                message.push_str(" (pane kinds are timeline, checklist, blast, comms, actions)");
            }
            error(e.span().map_or(0, |s| s.start), message)
        })?;
        let root = Node {
            pane: None,
            direction: Some(parsed.direction),
            ratio: 1,
            node: parsed.node,
        };
        check(&root, source, &error)?;
        Ok(Layout {
            name: parsed.name,
            root,
        })
    }

    pub fn built_in(name: &str) -> Option<Layout> {
        let (_, source) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        Layout::parse(source, &format!("layouts/{name}.toml")).ok()
    }

    /// A layout by name: the user's directory first, then the built-ins.
    pub fn select(name: &str, user_dir: Option<&Path>) -> Result<Layout, LayoutError> {
        if let Some(dir) = user_dir {
            let path = dir.join(format!("{name}.toml"));
            if let Ok(source) = std::fs::read_to_string(&path) {
                return Layout::parse(&source, &path.display().to_string());
            }
        }
        Layout::built_in(name).ok_or_else(|| {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            LayoutError {
                file: format!("layouts/{name}.toml"),
                line: 1,
                column: 1,
                message: format!("no layout `{name}`: built in are {}", names.join(", ")),
            }
        })
    }

    /// The panes in focus order (depth first), each once.
    pub fn panes(&self) -> Vec<PaneKind> {
        let mut out = Vec::new();
        collect(&self.root, &mut out);
        out
    }

    /// Where each visible pane goes inside `area`. In a `tabs` split only `active` (or
    /// the first child) is shown.
    pub fn arrange(&self, area: Rect, active: Option<PaneKind>) -> Vec<(PaneKind, Rect)> {
        let mut out = Vec::new();
        place(&self.root, area, active, &mut out);
        out
    }
}

/// The layout a role sees by default.
pub fn for_role(roles: &std::collections::BTreeSet<Role>) -> &'static str {
    if roles.contains(&Role::Commander) {
        "commander"
    } else if roles.contains(&Role::Comms) {
        "comms"
    } else if roles.contains(&Role::Scribe) {
        "scribe"
    } else if roles
        .iter()
        .any(|r| matches!(r, Role::Ops | Role::Security | Role::Responder))
    {
        "oncall"
    } else {
        "commander"
    }
}

fn check(
    node: &Node,
    source: &str,
    error: &dyn Fn(usize, String) -> LayoutError,
) -> Result<(), LayoutError> {
    let at = |needle: &str| source.find(needle).unwrap_or(0);
    if node.ratio == 0 {
        return Err(error(at("ratio = 0"), "ratio must be 1 or more".into()));
    }
    match (node.pane, node.direction, node.node.is_empty()) {
        (Some(_), None, true) => Ok(()),
        (None, Some(_), false) => node
            .node
            .iter()
            .try_for_each(|child| check(child, source, error)),
        (Some(_), _, _) => Err(error(
            at("pane ="),
            "a node is either a pane or a split, not both".into(),
        )),
        (None, None, _) => Err(error(
            0,
            "a split needs `direction` (rows, columns or tabs)".into(),
        )),
        (None, Some(_), true) => Err(error(
            at("direction"),
            "a split needs at least one [[node]]".into(),
        )),
    }
}

fn collect(node: &Node, out: &mut Vec<PaneKind>) {
    if let Some(pane) = node.pane {
        if !out.contains(&pane) {
            out.push(pane);
        }
        return;
    }
    for child in &node.node {
        collect(child, out);
    }
}

fn contains(node: &Node, pane: PaneKind) -> bool {
    node.pane == Some(pane) || node.node.iter().any(|c| contains(c, pane))
}

fn place(node: &Node, area: Rect, active: Option<PaneKind>, out: &mut Vec<(PaneKind, Rect)>) {
    if let Some(pane) = node.pane {
        out.push((pane, area));
        return;
    }
    let direction = match node.direction {
        Some(Split::Tabs) => {
            let shown = active
                .and_then(|a| node.node.iter().find(|c| contains(c, a)))
                .or_else(|| node.node.first());
            if let Some(child) = shown {
                place(child, area, active, out);
            }
            return;
        }
        Some(Split::Rows) => Direction::Vertical,
        _ => Direction::Horizontal,
    };
    let total: u32 = node.node.iter().map(|c| u32::from(c.ratio)).sum();
    let constraints: Vec<Constraint> = node
        .node
        .iter()
        .map(|c| Constraint::Ratio(u32::from(c.ratio), total.max(1)))
        .collect();
    let areas = Splitter::default()
        .direction(direction)
        .constraints(constraints)
        .split(area);
    for (child, rect) in node.node.iter().zip(areas.iter()) {
        place(child, *rect, active, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_layout_parses_and_covers_panes() {
        for (name, _) in BUILT_IN {
            let layout = Layout::built_in(name).unwrap_or_else(|| panic!("layout {name}"));
            assert!(
                layout.panes().contains(&PaneKind::Timeline) || name == "oncall",
                "{name}"
            );
        }
    }

    #[test]
    fn arrange_splits_by_ratio_and_tabs_show_one() {
        let layout = Layout::built_in("commander").unwrap();
        let placed = layout.arrange(Rect::new(0, 0, 90, 30), None);
        assert_eq!(placed.len(), 4);
        assert_eq!(placed[0], (PaneKind::Timeline, Rect::new(0, 0, 50, 30)));
        let compact = Layout::built_in("compact").unwrap();
        let placed = compact.arrange(Rect::new(0, 0, 80, 20), Some(PaneKind::Blast));
        assert_eq!(placed, vec![(PaneKind::Blast, Rect::new(0, 0, 80, 20))]);
    }

    #[test]
    fn unknown_pane_kind_names_file_and_line() {
        let source = "name = \"x\"\ndirection = \"rows\"\n[[node]]\npane = \"graphs\"\n";
        let err = Layout::parse(source, "mine.toml").unwrap_err().to_string();
        assert!(
            err.starts_with("mine.toml:4:") && err.contains("graphs"),
            "{err}"
        );
        assert!(err.contains("pane kinds are"), "{err}");
    }

    #[test]
    fn bad_ratio_and_empty_split_are_errors() {
        let zero = "name = \"x\"\ndirection = \"rows\"\n[[node]]\npane = \"blast\"\nratio = 0\n";
        assert!(
            Layout::parse(zero, "z.toml")
                .unwrap_err()
                .to_string()
                .contains("z.toml:5:")
        );
        let both = "name = \"x\"\ndirection = \"rows\"\n[[node]]\npane = \"blast\"\ndirection = \"rows\"\n";
        assert!(
            Layout::parse(both, "b.toml")
                .unwrap_err()
                .to_string()
                .contains("not both")
        );
    }
}
