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

/// Where things go on screen for one frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arranged {
    pub panes: Vec<(PaneKind, Rect)>,
    pub tab_bars: Vec<TabBar>,
}

/// One row above a tab split: each tab's panes (in layout order), and which is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabBar {
    pub area: Rect,
    pub tabs: Vec<Vec<PaneKind>>,
    pub shown: usize,
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

/// The smallest (columns, rows) a node needs with its splits side by side.
fn min_size(node: &Node) -> (u16, u16) {
    if let Some(pane) = node.pane {
        return pane.min_size();
    }
    let sizes = node.node.iter().map(flexible_min);
    let (mut w, mut h) = (0u16, 0u16);
    match node.direction {
        Some(Split::Rows) => {
            for (cw, ch) in sizes {
                (w, h) = (w.max(cw), h.saturating_add(ch));
            }
        }
        Some(Split::Columns) => {
            for (cw, ch) in sizes {
                (w, h) = (w.saturating_add(cw), h.max(ch));
            }
        }
        _ => return tabbed_min(node),
    }
    (w, h)
}

/// The smallest size of a node shown as tabs: its largest child and the tab bar.
fn tabbed_min(node: &Node) -> (u16, u16) {
    let (mut w, mut h) = (0u16, 0u16);
    for (cw, ch) in node.node.iter().map(flexible_min) {
        (w, h) = (w.max(cw), h.max(ch));
    }
    (w, h.saturating_add(1))
}

/// The smallest size a node can take: side by side, or as tabs if that is smaller.
fn flexible_min(node: &Node) -> (u16, u16) {
    if node.pane.is_some() || node.direction == Some(Split::Tabs) {
        return min_size(node);
    }
    let (sw, sh) = min_size(node);
    let (tw, th) = tabbed_min(node);
    match node.direction {
        Some(Split::Rows) => (sw, sh.min(th)),
        _ => (sw.min(tw), sh),
    }
}

/// Splits `total` by `ratio`, but never below a part's `min`: parts that would get
/// less are given their minimum and the rest is shared among the others. The caller
/// checked that the minimums fit.
fn distribute(total: u16, parts: &[(u16, u16)]) -> Vec<u16> {
    let mut fixed = vec![false; parts.len()];
    loop {
        let taken: u32 = parts
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| **f)
            .map(|((_, min), _)| u32::from(*min))
            .sum();
        let left = u32::from(total).saturating_sub(taken);
        let ratios: u32 = parts
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| !**f)
            .map(|((r, _), _)| u32::from(*r))
            .sum();
        let share = |ratio: u16| left * u32::from(ratio) / ratios.max(1);
        let short = parts
            .iter()
            .zip(&fixed)
            .position(|((ratio, min), f)| !*f && share(*ratio) < u32::from(*min));
        if let Some(i) = short {
            fixed[i] = true;
            continue;
        }
        let mut sizes: Vec<u16> = parts
            .iter()
            .zip(&fixed)
            .map(|((ratio, min), f)| {
                if *f {
                    *min
                } else {
                    u16::try_from(share(*ratio)).unwrap_or(u16::MAX)
                }
            })
            .collect();
        // Rounding leaves a few cells: the last flexible part takes them.
        let used: u32 = sizes.iter().map(|s| u32::from(*s)).sum();
        let spare = u16::try_from(u32::from(total).saturating_sub(used)).unwrap_or(0);
        if let Some(last) = fixed
            .iter()
            .rposition(|f| !*f)
            .or(sizes.len().checked_sub(1))
        {
            sizes[last] = sizes[last].saturating_add(spare);
        }
        return sizes;
    }
}

fn place(node: &Node, area: Rect, recent: &[PaneKind], out: &mut Arranged) {
    if let Some(pane) = node.pane {
        out.panes.push((pane, area));
        return;
    }
    let vertical = match node.direction {
        Some(Split::Rows) => true,
        Some(Split::Columns) => false,
        _ => return place_tabs(node, area, recent, out),
    };
    let (length, mins): (u16, Vec<u16>) = if vertical {
        (
            area.height,
            node.node.iter().map(|c| flexible_min(c).1).collect(),
        )
    } else {
        (
            area.width,
            node.node.iter().map(|c| flexible_min(c).0).collect(),
        )
    };
    let needed: u32 = mins.iter().map(|m| u32::from(*m)).sum();
    if needed > u32::from(length) && node.node.len() > 1 {
        return place_tabs(node, area, recent, out);
    }
    let parts: Vec<(u16, u16)> = node.node.iter().map(|c| c.ratio).zip(mins).collect();
    let mut offset = 0u16;
    for (child, size) in node.node.iter().zip(distribute(length, &parts)) {
        let rect = if vertical {
            Rect::new(area.x, area.y + offset, area.width, size)
        } else {
            Rect::new(area.x + offset, area.y, size, area.height)
        };
        offset = offset.saturating_add(size);
        place(child, rect.intersection(area), recent, out);
    }
}

/// One child at a time under a tab bar: the child holding the pane focused most
/// recently.
fn place_tabs(node: &Node, area: Rect, recent: &[PaneKind], out: &mut Arranged) {
    let rank = |child: &Node| {
        recent
            .iter()
            .position(|p| contains(child, *p))
            .unwrap_or(usize::MAX)
    };
    let shown = (0..node.node.len())
        .min_by_key(|i| (rank(&node.node[*i]), *i))
        .unwrap_or(0);
    let Some(child) = node.node.get(shown) else {
        return;
    };
    if area.height < 2 {
        return place(child, area, recent, out);
    }
    let tabs = node
        .node
        .iter()
        .map(|c| {
            let mut panes = Vec::new();
            collect(c, &mut panes);
            panes
        })
        .collect();
    out.tab_bars.push(TabBar {
        area: Rect::new(area.x, area.y, area.width, 1),
        tabs,
        shown,
    });
    let rest = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    place(child, rest, recent, out);
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
    fn splits_give_each_pane_its_minimum_or_become_tabs() {
        let commander = Layout::built_in("commander").unwrap();
        // Roomy: side by side, the timeline at least its minimum.
        let placed = commander.arrange(Rect::new(0, 0, 160, 44), &[PaneKind::Timeline]);
        assert!(
            placed.tab_bars.iter().all(|t| t.tabs.len() == 2),
            "{placed:?}"
        );
        let timeline = placed.panes.iter().find(|(k, _)| *k == PaneKind::Timeline);
        assert_eq!(timeline.map(|(_, r)| r.width), Some(90));
        for (kind, rect) in &placed.panes {
            let (w, h) = kind.min_size();
            assert!(rect.width >= w && rect.height >= h, "{kind:?} {rect:?}");
        }
        // 120 columns cannot hold the timeline and the checklist side by side: tabs,
        // showing the side of the most recently focused pane.
        for width in [100, 120] {
            let area = Rect::new(0, 0, width, 25);
            let placed = commander.arrange(area, &[PaneKind::Blast, PaneKind::Timeline]);
            let bar = &placed.tab_bars[0];
            assert_eq!(bar.area, Rect::new(0, 0, width, 1));
            assert!(bar.tabs[bar.shown].contains(&PaneKind::Blast), "{bar:?}");
            assert!(!placed.panes.iter().any(|(k, _)| *k == PaneKind::Timeline));
            for (kind, rect) in &placed.panes {
                let (w, h) = kind.min_size();
                assert!(
                    rect.width >= w && rect.height >= h,
                    "{width}: {kind:?} {rect:?}"
                );
            }
        }
        let compact = Layout::built_in("compact").unwrap();
        let placed = compact.arrange(Rect::new(0, 0, 80, 20), &[PaneKind::Blast]);
        assert_eq!(
            placed.panes,
            vec![(PaneKind::Blast, Rect::new(0, 1, 80, 19))]
        );
    }

    #[test]
    fn distribute_honours_minimums_then_ratios() {
        assert_eq!(distribute(160, &[(5, 90), (4, 70)]), vec![90, 70]);
        assert_eq!(distribute(180, &[(1, 10), (1, 10)]), vec![90, 90]);
        assert_eq!(distribute(100, &[(1, 10), (9, 10)]), vec![10, 90]);
        assert_eq!(distribute(10, &[(1, 3), (1, 3), (1, 3)]), vec![3, 3, 4]);
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
