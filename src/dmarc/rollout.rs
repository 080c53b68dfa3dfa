//! The staged rollout: a ladder of policy stages, where a zone is on it, and the rules of the
//! `next` and `back` steps; the history of steps and its file format.
//!
//! ```text
//!   (no record) ─next─► none ─next─► quarantine (t=y) ─next─► quarantine ─next─► reject (t=y) ─next─► reject
//!                        ◄─back──              ◄─back──              ◄─back──              ◄─back──
//! ```
//!
//! That is the default ladder; a zone may configure its own (strictly increasing stages). A
//! stage with `(t=y)` is written as `t=y; pct=0`: RFC 9989 receivers then do not apply the
//! policy (test mode), and RFC 7489 receivers, which ignore `t`, apply the next lower policy to
//! all failing mail (`pct=0`). A stage without it removes `t` and `pct`. Other tags (`rua`, `sp`,
//! …) are kept.
//!
//! `next` is refused, unless forced, when the record is not at a stage of the ladder, when the
//! history does not explain the record (no history, or the record was edited by hand since the
//! last step), when the current stage's minimum dwell time has not passed, or when readiness
//! fails and the next stage enforces something (quarantine or reject). It is never allowed past
//! the top. `back` is the emergency brake: it steps down at once, with no conditions.
//!
//! Pure: no clock, no files; times are UNIX seconds passed in.

use std::fmt;

use super::record::{DmarcRecord, Policy, Tag, Value};

/// One stage of a ladder: a policy, and whether it is the test-mode (`t=y`) variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stage {
    pub policy: Policy,
    pub testing: bool,
}

impl Stage {
    pub const fn new(policy: Policy, testing: bool) -> Stage {
        Stage { policy, testing }
    }

    /// The order of stages: none 0, quarantine (t=y) 1, quarantine 2, reject (t=y) 3, reject 4.
    pub fn rank(self) -> u8 {
        match self.policy {
            Policy::None => 0,
            Policy::Quarantine => 2 - u8::from(self.testing),
            Policy::Reject => 4 - u8::from(self.testing),
        }
    }

    /// Parses `none`, `quarantine`, `quarantine t=y` or `quarantine (t=y)`.
    pub fn parse(text: &str) -> Result<Stage, RolloutError> {
        let bad = || RolloutError::BadStage {
            stage: text.to_owned(),
        };
        let words: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter(|w| !w.is_empty())
            .collect();
        let (policy, testing) = match words.as_slice() {
            [p] => (Policy::parse(p).ok_or_else(bad)?, false),
            [p, t] if t.eq_ignore_ascii_case("t=y") => (Policy::parse(p).ok_or_else(bad)?, true),
            _ => return Err(bad()),
        };
        if policy == Policy::None && testing {
            return Err(bad());
        }
        Ok(Stage { policy, testing })
    }

    /// The record of this stage, from the current one (`base`, or a new `v=DMARC1`): `p` set,
    /// `t=y; pct=0` for a test stage, `t` and `pct` removed otherwise; other tags kept.
    pub fn record(self, base: Option<&DmarcRecord>) -> DmarcRecord {
        let mut rec = base.cloned().unwrap_or_else(DmarcRecord::new);
        rec.set(Tag::P, Value::Policy(self.policy));
        if self.testing {
            rec.set(Tag::T, Value::Flag(true));
            rec.set(Tag::Pct, Value::Percent(0));
        } else {
            rec.remove(Tag::T);
            rec.remove(Tag::Pct);
        }
        rec
    }

    /// Is `rec` exactly this stage? (`p`, and `t=y; pct=0` or neither `t=y` nor a `pct` below
    /// 100.)
    pub fn matches(self, rec: &DmarcRecord) -> bool {
        let testing = rec.testing() && rec.pct() == Some(0);
        let plain = !rec.testing() && rec.pct().is_none_or(|p| p == 100);
        rec.p() == Some(self.policy) && if self.testing { testing } else { plain }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.policy.as_str())?;
        if self.testing {
            f.write_str(" (t=y)")?;
        }
        Ok(())
    }
}

/// The stages of a rollout, weakest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ladder(Vec<Stage>);

/// The default minimum time at a stage before `next`: seven days.
pub const DEFAULT_MIN_DWELL: i64 = 7 * 86_400;

impl Default for Ladder {
    /// `none → quarantine (t=y) → quarantine → reject (t=y) → reject`.
    fn default() -> Ladder {
        Ladder(vec![
            Stage::new(Policy::None, false),
            Stage::new(Policy::Quarantine, true),
            Stage::new(Policy::Quarantine, false),
            Stage::new(Policy::Reject, true),
            Stage::new(Policy::Reject, false),
        ])
    }
}

impl Ladder {
    /// A ladder from stage texts (a zone's configuration): not empty, strictly increasing.
    pub fn parse<S: AsRef<str>>(stages: &[S]) -> Result<Ladder, RolloutError> {
        let stages = stages
            .iter()
            .map(|s| Stage::parse(s.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if stages.is_empty() {
            return Err(RolloutError::EmptyLadder);
        }
        for pair in stages.windows(2) {
            if pair[1].rank() <= pair[0].rank() {
                return Err(RolloutError::NotIncreasing {
                    before: pair[0],
                    after: pair[1],
                });
            }
        }
        Ok(Ladder(stages))
    }

    pub fn stages(&self) -> &[Stage] {
        &self.0
    }

    /// Where `rec` is on the ladder.
    pub fn position(&self, rec: Option<&DmarcRecord>) -> Position {
        let Some(rec) = rec else {
            return Position::NoRecord;
        };
        match self.0.iter().position(|s| s.matches(rec)) {
            Some(i) => Position::At(i),
            None => Position::Off {
                rank: off_rank(rec),
            },
        }
    }
}

impl fmt::Display for Ladder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.0.iter().map(Stage::to_string).collect();
        f.write_str(&names.join(" → "))
    }
}

/// The rank of a record that matches no stage: its policy's rank, as a test stage if `t=y` or
/// `pct` is below 100 (so `back` steps below it and `next` above it).
fn off_rank(rec: &DmarcRecord) -> u8 {
    let testing = rec.testing() || rec.pct().is_some_and(|p| p < 100);
    Stage::new(
        rec.effective_p(),
        testing && rec.effective_p() != Policy::None,
    )
    .rank()
}

/// Where a zone is on its ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    NoRecord,
    At(usize),
    /// A record that is no stage of the ladder (written by hand or by `dmarc set`).
    Off {
        rank: u8,
    },
}

/// One step of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// UNIX seconds.
    pub time: i64,
    pub action: StepKind,
    /// The step was forced past refusals (`--force`).
    pub forced: bool,
    /// The stage reached, as [`Stage`] displays it.
    pub stage: String,
    /// The zone's serial after the step.
    pub serial: u32,
    pub who: String,
    /// The record written, canonical.
    pub record: String,
}

/// `next` or `back`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    Next,
    Back,
}

/// The history of a zone's rollout, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct History {
    pub entries: Vec<Entry>,
}

/// The field separator of history lines (never inside a time, stage, serial or user name; a
/// record is the last field, so one in it does no harm).
const SEP: &str = " | ";

impl History {
    /// The file's text: a header saying what each field is, then one line per step.
    pub fn render(&self, zone: &str) -> String {
        let mut out = format!(
            "# zonectl DMARC rollout history of {zone}\n\
             # One line per step, oldest first. Fields separated by \" | \":\n\
             #   time (UTC) | action (next, next --force, back) | stage reached | zone serial | who | record written\n\
             # Written by `zonectl dmarc rollout`, atomically; `rollout status` shows it. Lines starting with # are comments.\n"
        );
        for e in &self.entries {
            let action = match (e.action, e.forced) {
                (StepKind::Next, false) => "next",
                (StepKind::Next, true) => "next --force",
                (StepKind::Back, _) => "back",
            };
            out.push_str(&format!(
                "{}{SEP}{action}{SEP}{}{SEP}{}{SEP}{}{SEP}{}\n",
                format_time(e.time),
                e.stage,
                e.serial,
                sanitize(&e.who),
                e.record
            ));
        }
        out
    }

    /// Parses a history file's text.
    pub fn parse(text: &str) -> Result<History, RolloutError> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let bad = |reason: &str| RolloutError::History {
                line: line_no,
                reason: reason.to_owned(),
            };
            let fields: Vec<&str> = trimmed.splitn(6, SEP).collect();
            let [time, action, stage, serial, who, record] = fields.as_slice() else {
                return Err(bad("expected 6 fields separated by \" | \""));
            };
            let time =
                parse_time(time).ok_or_else(|| bad("the time is not YYYY-MM-DDTHH:MM:SSZ"))?;
            let (action, forced) = match *action {
                "next" => (StepKind::Next, false),
                "next --force" => (StepKind::Next, true),
                "back" => (StepKind::Back, false),
                _ => return Err(bad("the action is not next, next --force or back")),
            };
            Stage::parse(stage).map_err(|_| bad("the stage is not a policy stage"))?;
            let serial = serial
                .parse()
                .map_err(|_| bad("the serial is not a number"))?;
            entries.push(Entry {
                time,
                action,
                forced,
                stage: (*stage).to_owned(),
                serial,
                who: (*who).to_owned(),
                record: (*record).to_owned(),
            });
        }
        Ok(History { entries })
    }

    pub fn last(&self) -> Option<&Entry> {
        self.entries.last()
    }
}

fn sanitize(who: &str) -> String {
    let s: String = who
        .chars()
        .map(|c| if c == '|' || c.is_control() { '_' } else { c })
        .collect();
    if s.trim().is_empty() {
        "unknown".to_owned()
    } else {
        s.trim().to_owned()
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_time(unix: i64) -> String {
    crate::zone::civil::format_iso(unix)
}

/// The inverse of [`format_time`].
pub fn parse_time(s: &str) -> Option<i64> {
    crate::zone::civil::parse_iso(s)
}

/// Everything a step is decided on.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub ladder: &'a Ladder,
    /// The zone's current DMARC record, if it has one.
    pub record: Option<&'a DmarcRecord>,
    pub history: &'a History,
    /// UNIX seconds.
    pub now: i64,
    /// Minimum seconds at a stage before `next`.
    pub min_dwell: i64,
}

/// Why a step is refused. The ones [`Refusal::forcible`] says so can be overridden with
/// `--force`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    AtTop,
    AtBottom,
    NoRecord,
    OffLadder {
        record: String,
    },
    NoHistory,
    HandEdited {
        history: String,
        zone: String,
    },
    TooEarly {
        since: i64,
        until: i64,
    },
    /// Readiness fails: the checks that block, as `check status` (`dkim unknown`).
    NotReady {
        unmet: Vec<String>,
    },
}

impl Refusal {
    pub fn forcible(&self) -> bool {
        !matches!(self, Refusal::AtTop | Refusal::AtBottom | Refusal::NoRecord)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::AtTop => f.write_str("already at the last stage of the ladder"),
            Refusal::AtBottom => f.write_str(
                "already at the first stage; nothing is weaker (delete the record by hand to \
                 stop publishing DMARC)",
            ),
            Refusal::NoRecord => f.write_str("the zone has no DMARC record to step back from"),
            Refusal::OffLadder { record } => write!(
                f,
                "the record {record:?} is no stage of the ladder (set by hand or by `dmarc set`)"
            ),
            Refusal::NoHistory => f.write_str(
                "the record was not written by `dmarc rollout` (no history): how long it has \
                 been in place is unknown",
            ),
            Refusal::HandEdited { history, zone } => write!(
                f,
                "hand edit detected: the last rollout step wrote {history:?}, the zone now has \
                 {zone:?}; how long it has been in place is unknown"
            ),
            Refusal::TooEarly { since, until } => write!(
                f,
                "the current stage began {} and its minimum dwell time ends {}",
                format_time(*since),
                format_time(*until)
            ),
            Refusal::NotReady { unmet } => write!(
                f,
                "not ready for an enforcing policy: {} (see `dmarc check`)",
                unmet.join(", ")
            ),
        }
    }
}

/// A step to take: the stage reached and the record to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub from: Position,
    pub to: usize,
    pub stage: Stage,
    pub record: DmarcRecord,
    /// Forcible refusals that `--force` overrode.
    pub overridden: Vec<Refusal>,
}

/// What the history says about the current record: `Ok(since)` when its last entry wrote
/// exactly this record, else why not.
pub fn stage_since(ctx: &Context<'_>) -> Result<Option<i64>, Refusal> {
    let current = ctx.record.map(DmarcRecord::to_string);
    match (ctx.history.last(), current) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(Refusal::NoHistory),
        (Some(last), current) => {
            let written = DmarcRecord::parse_lenient(&last.record).0.to_string();
            let zone = current.unwrap_or_default();
            if written == zone {
                Ok(Some(last.time))
            } else {
                Err(Refusal::HandEdited {
                    history: last.record.clone(),
                    zone: if zone.is_empty() {
                        "no record".to_owned()
                    } else {
                        zone
                    },
                })
            }
        }
    }
}

/// The `next` step, or every reason it is refused. `unmet` are the readiness checks that fail
/// or are unknown ([`super::readiness::Readiness::unmet`]; empty when ready); they only matter
/// when the next stage enforces a policy.
pub fn next(ctx: &Context<'_>, unmet: &[String], force: bool) -> Result<Step, Vec<Refusal>> {
    let stages = ctx.ladder.stages();
    let from = ctx.ladder.position(ctx.record);
    let mut refusals = Vec::new();
    let to = match from {
        Position::NoRecord => 0,
        Position::At(i) if i + 1 >= stages.len() => return Err(vec![Refusal::AtTop]),
        Position::At(i) => i + 1,
        Position::Off { rank } => {
            refusals.push(Refusal::OffLadder {
                record: ctx.record.map(|r| r.to_string()).unwrap_or_default(),
            });
            match stages.iter().position(|s| s.rank() > rank) {
                Some(i) => i,
                None => return Err(vec![Refusal::AtTop]),
            }
        }
    };
    match stage_since(ctx) {
        Ok(Some(since)) if from != Position::NoRecord => {
            let until = since + ctx.min_dwell;
            if ctx.now < until {
                refusals.push(Refusal::TooEarly { since, until });
            }
        }
        Ok(_) => {}
        Err(r) => refusals.push(r),
    }
    let stage = stages[to];
    if !unmet.is_empty() && stage.policy != Policy::None {
        refusals.push(Refusal::NotReady {
            unmet: unmet.to_vec(),
        });
    }
    if !refusals.is_empty() && !force {
        return Err(refusals);
    }
    Ok(Step {
        from,
        to,
        stage,
        record: stage.record(ctx.record),
        overridden: refusals,
    })
}

/// The `back` step: one stage down at once (from a record off the ladder: the highest stage
/// below it).
pub fn back(ctx: &Context<'_>) -> Result<Step, Refusal> {
    let stages = ctx.ladder.stages();
    let from = ctx.ladder.position(ctx.record);
    let to = match from {
        Position::NoRecord => return Err(Refusal::NoRecord),
        Position::At(0) => return Err(Refusal::AtBottom),
        Position::At(i) => i - 1,
        Position::Off { rank } => stages
            .iter()
            .rposition(|s| s.rank() < rank)
            .ok_or(Refusal::AtBottom)?,
    };
    let stage = stages[to];
    Ok(Step {
        from,
        to,
        stage,
        record: stage.record(ctx.record),
        overridden: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Readiness with nothing unmet.
    const READY: &[String] = &[];

    fn not_ready() -> Vec<String> {
        vec!["dkim unknown".to_owned(), "spf FAIL".to_owned()]
    }

    const DAY: i64 = 86_400;
    const T0: i64 = 1_764_370_861; // 2025-11-28T23:01:01Z

    fn rec(s: &str) -> DmarcRecord {
        DmarcRecord::parse(s).unwrap()
    }

    fn entry(time: i64, stage: &str, record: &str) -> Entry {
        Entry {
            time,
            action: StepKind::Next,
            forced: false,
            stage: stage.to_owned(),
            serial: 7,
            who: "alice".to_owned(),
            record: record.to_owned(),
        }
    }

    fn ctx<'a>(
        ladder: &'a Ladder,
        record: Option<&'a DmarcRecord>,
        history: &'a History,
        now: i64,
    ) -> Context<'a> {
        Context {
            ladder,
            record,
            history,
            now,
            min_dwell: DEFAULT_MIN_DWELL,
        }
    }

    #[test]
    fn default_ladder_records() {
        let base = rec("v=DMARC1; p=none; rua=mailto:d@apple.example");
        let records: Vec<String> = Ladder::default()
            .stages()
            .iter()
            .map(|s| s.record(Some(&base)).to_string())
            .collect();
        assert_eq!(
            records,
            [
                "v=DMARC1; p=none; rua=mailto:d@apple.example",
                "v=DMARC1; p=quarantine; t=y; pct=0; rua=mailto:d@apple.example",
                "v=DMARC1; p=quarantine; rua=mailto:d@apple.example",
                "v=DMARC1; p=reject; t=y; pct=0; rua=mailto:d@apple.example",
                "v=DMARC1; p=reject; rua=mailto:d@apple.example",
            ]
        );
        assert_eq!(
            Ladder::default().to_string(),
            "none → quarantine (t=y) → quarantine → reject (t=y) → reject"
        );
        assert_eq!(
            Stage::new(Policy::None, false).record(None).to_string(),
            "v=DMARC1; p=none"
        );
    }

    #[test]
    fn ladder_configuration() {
        let l = Ladder::parse(&["none", "quarantine", "reject (t=y)", "REJECT"]).unwrap();
        assert_eq!(l.to_string(), "none → quarantine → reject (t=y) → reject");
        for bad in [
            vec!["none", "none"],
            vec!["reject", "quarantine"],
            vec!["quarantine t=y", "none"],
        ] {
            assert!(
                matches!(Ladder::parse(&bad), Err(RolloutError::NotIncreasing { .. })),
                "{bad:?}"
            );
        }
        for bad in ["none t=y", "block", "quarantine t=n", ""] {
            assert!(
                matches!(Stage::parse(bad), Err(RolloutError::BadStage { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(Ladder::parse::<&str>(&[]), Err(RolloutError::EmptyLadder));
    }

    #[test]
    fn positions() {
        let l = Ladder::default();
        assert_eq!(l.position(None), Position::NoRecord);
        assert_eq!(l.position(Some(&rec("v=DMARC1; p=none"))), Position::At(0));
        assert_eq!(
            l.position(Some(&rec("v=DMARC1; p=quarantine; t=y; pct=0"))),
            Position::At(1)
        );
        assert_eq!(
            l.position(Some(&rec("v=DMARC1; p=quarantine; pct=100"))),
            Position::At(2)
        );
        assert_eq!(
            l.position(Some(&rec("v=DMARC1; p=reject; pct=0; t=y"))),
            Position::At(3)
        );
        assert_eq!(
            l.position(Some(&rec("v=DMARC1; p=reject"))),
            Position::At(4)
        );
        // Half a test stage, or sampling: off the ladder.
        assert_eq!(
            l.position(Some(&rec("v=DMARC1; p=reject; t=y"))),
            Position::Off { rank: 3 }
        );
        assert_eq!(
            l.position(Some(&rec("v=DMARC1; p=quarantine; pct=50"))),
            Position::Off { rank: 1 }
        );
    }

    #[test]
    fn next_from_nothing_needs_no_readiness_and_no_dwell() {
        let l = Ladder::default();
        let h = History::default();
        let step = next(&ctx(&l, None, &h, T0), &not_ready(), false).unwrap();
        assert_eq!(
            (step.to, step.record.to_string()),
            (0, "v=DMARC1; p=none".to_owned())
        );
        assert!(step.overridden.is_empty());
    }

    #[test]
    fn next_waits_for_the_dwell_time_and_readiness() {
        let l = Ladder::default();
        let r = rec("v=DMARC1; p=none");
        let h = History {
            entries: vec![entry(T0, "none", "v=DMARC1; p=none")],
        };
        // One day in: too early.
        let refused = next(&ctx(&l, Some(&r), &h, T0 + DAY), READY, false).unwrap_err();
        assert_eq!(
            refused,
            [Refusal::TooEarly {
                since: T0,
                until: T0 + 7 * DAY
            }]
        );
        // Seven days in, ready: the next stage.
        let step = next(&ctx(&l, Some(&r), &h, T0 + 7 * DAY), READY, false).unwrap();
        assert_eq!(step.stage, Stage::new(Policy::Quarantine, true));
        assert_eq!(
            step.record.to_string(),
            "v=DMARC1; p=quarantine; t=y; pct=0"
        );
        // Not ready: refused, with every reason.
        let refused = next(&ctx(&l, Some(&r), &h, T0), &not_ready(), false).unwrap_err();
        assert_eq!(refused.len(), 2, "{refused:?}");
        assert!(refused.contains(&Refusal::NotReady { unmet: not_ready() }));
        assert!(refused.iter().any(|r| r.to_string()
            == "not ready for an enforcing policy: dkim unknown, spf FAIL (see `dmarc check`)"));
        // --force overrides both, and says what it overrode.
        let step = next(&ctx(&l, Some(&r), &h, T0), &not_ready(), true).unwrap();
        assert_eq!(step.to, 1);
        assert_eq!(step.overridden.len(), 2);
    }

    #[test]
    fn next_refuses_hand_edits_and_records_without_history() {
        let l = Ladder::default();
        let r = rec("v=DMARC1; p=quarantine");
        let none = History::default();
        let refused = next(&ctx(&l, Some(&r), &none, T0), READY, false).unwrap_err();
        assert_eq!(refused, [Refusal::NoHistory]);
        let h = History {
            entries: vec![entry(
                T0 - 30 * DAY,
                "quarantine (t=y)",
                "v=DMARC1; p=quarantine; t=y; pct=0",
            )],
        };
        let refused = next(&ctx(&l, Some(&r), &h, T0), READY, false).unwrap_err();
        assert!(
            matches!(refused.as_slice(), [Refusal::HandEdited { .. }]),
            "{refused:?}"
        );
        assert!(refused[0].to_string().contains("hand edit detected"));
        // Off the ladder: refused, forced to the first stage above it.
        let off = rec("v=DMARC1; p=quarantine; pct=50");
        let refused = next(&ctx(&l, Some(&off), &none, T0), READY, false).unwrap_err();
        assert!(
            matches!(refused[0], Refusal::OffLadder { .. }),
            "{refused:?}"
        );
        let step = next(&ctx(&l, Some(&off), &none, T0), READY, true).unwrap();
        assert_eq!(step.stage, Stage::new(Policy::Quarantine, false));
        // The top cannot be forced past.
        let top = rec("v=DMARC1; p=reject");
        assert_eq!(
            next(&ctx(&l, Some(&top), &none, T0), READY, true),
            Err(vec![Refusal::AtTop])
        );
    }

    #[test]
    fn back_is_immediate() {
        let l = Ladder::default();
        let h = History {
            entries: vec![entry(
                T0,
                "reject",
                "v=DMARC1; p=reject; rua=mailto:d@apple.example",
            )],
        };
        let r = rec("v=DMARC1; p=reject; rua=mailto:d@apple.example");
        let step = back(&ctx(&l, Some(&r), &h, T0 + 1)).unwrap();
        assert_eq!(
            step.record.to_string(),
            "v=DMARC1; p=reject; t=y; pct=0; rua=mailto:d@apple.example"
        );
        let first = rec("v=DMARC1; p=none");
        assert_eq!(back(&ctx(&l, Some(&first), &h, T0)), Err(Refusal::AtBottom));
        assert_eq!(back(&ctx(&l, None, &h, T0)), Err(Refusal::NoRecord));
        let off = rec("v=DMARC1; p=reject; pct=20");
        assert_eq!(back(&ctx(&l, Some(&off), &h, T0)).unwrap().to, 2);
    }

    #[test]
    fn history_file_round_trip() {
        let h = History {
            entries: vec![
                entry(T0, "none", "v=DMARC1; p=none"),
                Entry {
                    time: T0 + 8 * DAY,
                    action: StepKind::Next,
                    forced: true,
                    stage: "quarantine (t=y)".to_owned(),
                    serial: 2025120601,
                    who: "bob|x".to_owned(),
                    record: "v=DMARC1; p=quarantine; t=y; pct=0".to_owned(),
                },
                Entry {
                    time: T0 + 9 * DAY,
                    action: StepKind::Back,
                    forced: false,
                    stage: "none".to_owned(),
                    serial: 2025120701,
                    who: "carol".to_owned(),
                    record: "v=DMARC1; p=none".to_owned(),
                },
            ],
        };
        let text = h.render("apple.example");
        assert!(
            text.contains("2025-11-28T23:01:01Z | next | none | 7 | alice | v=DMARC1; p=none\n"),
            "{text}"
        );
        assert!(
            text.contains("| next --force | quarantine (t=y) | 2025120601 | bob_x |"),
            "{text}"
        );
        let mut back = History::parse(&text).unwrap();
        back.entries[1].who = "bob|x".to_owned();
        assert_eq!(back, h);
        let err = History::parse("# c\n2025-11-28 | next | none | 1 | a | v=DMARC1\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "history line 2: the time is not YYYY-MM-DDTHH:MM:SSZ"
        );
        assert!(History::parse("2025-11-28T23:01:01Z | jump | none | 1 | a | v=DMARC1").is_err());
        assert!(History::parse("2025-11-28T23:01:01Z | next | none | x | a | v=DMARC1").is_err());
        assert!(History::parse("2025-11-28T23:01:01Z | next | none").is_err());
    }

    #[test]
    fn times() {
        for t in [0, 951_782_400, T0, 4_102_444_800] {
            assert_eq!(parse_time(&format_time(t)), Some(t), "{t}");
        }
        assert_eq!(format_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(parse_time("2025-02-30T00:00:00Z"), None);
        assert_eq!(parse_time("2025-11-28T23:01:01"), None);
    }
}

/// Why a ladder or a history file is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RolloutError {
    #[error("{stage:?} is not a rollout stage: write none, quarantine, reject, or quarantine/reject followed by t=y")]
    BadStage { stage: String },
    #[error("a rollout ladder needs at least one stage")]
    EmptyLadder,
    #[error("the ladder must grow stricter at every stage, but {after} follows {before}")]
    NotIncreasing { before: Stage, after: Stage },
    #[error("history line {line}: {reason}")]
    History { line: usize, reason: String },
}
