//! Layouts: trees of rows, columns and tabs with pane kinds and ratios, read from
//! `layouts/*.toml` (embedded; user overrides in `<config dir>/warroom/layouts/`). One per
//! role, plus `compact`, which the console switches to below 100x30.
//!
//! Every pane kind has a number (the digit that jumps to it, the same in every layout)
//! and a minimum useful size. A layout that leaves a pane kind out gets it as an extra
//! tab, so every digit works everywhere. A row or column split that cannot give each
//! child its minimum at the current size is shown as tabs instead of crushing them:
//! one child at a time under a one-line tab bar, the one holding the most recently
//! focused pane.

use crate::catalog::line_column;
use crate::incident::Role;
use ratatui::layout::Rect;

mod arrange;
use arrange::place;
pub use arrange::{Arranged, TabBar};
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
    /// In digit order.
    pub const ALL: [PaneKind; 5] = [
        PaneKind::Timeline,
        PaneKind::Checklist,
        PaneKind::Blast,
        PaneKind::Comms,
        PaneKind::Actions,
    ];

    /// The digit that jumps to this pane: the same in every layout and at every size.
    pub fn number(self) -> usize {
        match self {
            PaneKind::Timeline => 1,
            PaneKind::Checklist => 2,
            PaneKind::Blast => 3,
            PaneKind::Comms => 4,
            PaneKind::Actions => 5,
        }
    }

    pub fn from_number(number: usize) -> Option<PaneKind> {
        PaneKind::ALL.into_iter().find(|k| k.number() == number)
    }

    /// The smallest (columns, rows), borders included, at which the pane is still
    /// useful: the timeline shows 60 characters of each entry beside its time, author
    /// and kind; a checklist item about 30 beside its owner and deadline; the blast
    /// grid three regions; comms a readable draft; actions a list and its detail.
    pub fn min_size(self) -> (u16, u16) {
        match self {
            PaneKind::Timeline => (90, 8),
            PaneKind::Checklist => (70, 7),
            PaneKind::Blast => (44, 7),
            PaneKind::Comms => (60, 8),
            PaneKind::Actions => (50, 7),
        }
    }

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
            root: with_every_pane(root),
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

    /// Where each shown pane and tab bar goes inside `area`. `recent` lists pane kinds,
    /// most recently focused first: each tab split shows the child holding the earliest
    /// of them (else its first child).
    pub fn arrange(&self, area: Rect, recent: &[PaneKind]) -> Arranged {
        let mut out = Arranged::default();
        place(&self.root, area, recent, &mut out);
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

/// `root`, plus a tab for each pane kind it leaves out.
fn with_every_pane(root: Node) -> Node {
    let mut present = Vec::new();
    collect(&root, &mut present);
    let missing: Vec<Node> = PaneKind::ALL
        .into_iter()
        .filter(|k| !present.contains(k))
        .map(|pane| Node {
            pane: Some(pane),
            direction: None,
            ratio: 1,
            node: Vec::new(),
        })
        .collect();
    if missing.is_empty() {
        return root;
    }
    let mut children = vec![root];
    children.extend(missing);
    Node {
        pane: None,
        direction: Some(Split::Tabs),
        ratio: 1,
        node: children,
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
    fn every_layout_holds_every_pane_and_digits_name_the_same_pane() {
        for (name, _) in BUILT_IN {
            let layout = Layout::built_in(name).unwrap();
            let mut panes = layout.panes();
            panes.sort_by_key(|p| p.number());
            assert_eq!(panes, PaneKind::ALL, "{name}");
        }
        // A user layout that leaves panes out gets them as tabs.
        let source = "name = \"mine\"\ndirection = \"columns\"\n[[node]]\npane = \"timeline\"\n";
        let mine = Layout::parse(source, "mine.toml").unwrap();
        assert_eq!(mine.panes().len(), 5);
        let placed = mine.arrange(Rect::new(0, 0, 120, 30), &[PaneKind::Comms]);
        assert_eq!(
            placed.panes,
            vec![(PaneKind::Comms, Rect::new(0, 1, 120, 29))]
        );
        assert_eq!(
            placed.tab_bars[0].tabs[placed.tab_bars[0].shown],
            [PaneKind::Comms]
        );
        for n in 1..=5 {
            assert_eq!(PaneKind::from_number(n).map(PaneKind::number), Some(n));
        }
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
