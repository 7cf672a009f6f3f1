//! Turns a validated filter (`confab_domain::filter::Filter`) into a sea-query condition.
//!
//! Mirrors app/services/filter_service.rb: text comparisons of `text_case_insensitive` keys are
//! lower-cased, `contains` is a case-insensitive substring match, dates compare by UTC day, and
//! `not_equal_to` on a custom attribute also matches rows without the key.

use confab_domain::Timestamp;
use confab_domain::filter::{Condition, DataType, Filter, Operator, Source};
use sea_query::{Cond, Expr, ExprTrait, Func, LikeExpr};

/// Escapes `%`, `_` and `\` for a LIKE pattern with `\` as the escape character.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn like(pattern: String) -> LikeExpr {
    LikeExpr::new(pattern).escape('\\')
}

/// The SQL expression an attribute reads, qualified by `table`.
fn target(table: &'static str, c: &Condition) -> Expr {
    match c.source {
        Source::Column => Expr::col((table, leak_key(&c.key))),
        Source::AdditionalAttributes => json_text(table, "additional_attributes", &c.key),
        Source::CustomAttributes => json_text(table, "custom_attributes", &c.key),
    }
}

/// `table.column ->> key`, the key bound as a parameter (portable: SQLite 3.38+ and PostgreSQL).
pub fn json_text(table: &'static str, column: &'static str, key: &str) -> Expr {
    Expr::col((table, column)).binary(sea_query::BinOper::Custom("->>"), Expr::val(key.to_owned()))
}

/// Standard column keys come from static tables; map them back to `'static` names.
fn leak_key(key: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "name",
        "email",
        "phone_number",
        "identifier",
        "created_at",
        "last_activity_at",
        "blocked",
        "status",
        "priority",
        "assignee_id",
        "inbox_id",
        "team_id",
        "display_id",
        "campaign_id",
    ];
    KNOWN.iter().find(|k| **k == key).copied().unwrap_or("id")
}

/// Rows of `table` carrying any of `titles` (any label at all when `None`), or with `negate`,
/// carrying none of them: a correlated `EXISTS` on the tagging's unique (conversation, title)
/// index, so a list ordered by activity probes the rows it walks instead of first collecting
/// every tagged conversation of the label.
pub(crate) fn labelled(table: &'static str, titles: Option<&[String]>, negate: bool) -> Expr {
    let mut sub = sea_query::Query::select();
    sub.expr(Expr::val(1i64))
        .from("conversation_labels")
        .and_where(Expr::col(("conversation_labels", "conversation_id")).equals((table, "id")));
    if let Some(t) = titles {
        sub.and_where(
            Expr::col(("conversation_labels", "title")).is_in(t.iter().map(|v| v.to_lowercase())),
        );
    }
    let exists = Expr::exists(sub.to_owned());
    if negate { exists.not() } else { exists }
}

fn one(c: &Condition, table: &'static str, now: Timestamp) -> Cond {
    let col = target(table, c);
    if c.data_type == DataType::Labels {
        // Labels are taggings: has any of / has none of / has any label / has no label.
        return Cond::all().add(match c.operator {
            Operator::EqualTo => labelled(table, Some(&c.values), false),
            Operator::NotEqualTo => labelled(table, Some(&c.values), true),
            Operator::IsPresent => labelled(table, None, false),
            _ => labelled(table, None, true),
        });
    }
    if c.data_type == DataType::Integer && c.source == Source::Column {
        // Ids and enum codes bind as integers (PostgreSQL has no smallint = text).
        let nums: Vec<i64> = c.values.iter().filter_map(|v| v.parse().ok()).collect();
        return match c.operator {
            Operator::EqualTo => Cond::all().add(col.is_in(nums)),
            Operator::NotEqualTo => Cond::any()
                .add(col.clone().is_not_in(nums))
                .add(col.is_null()),
            Operator::IsPresent => Cond::all().add(col.is_not_null()),
            Operator::IsNotPresent => Cond::all().add(col.is_null()),
            Operator::Contains | Operator::DoesNotContain => {
                let text = Expr::expr(Func::cast_as(col, "TEXT"));
                let pats = c
                    .values
                    .iter()
                    .map(|v| like(format!("%{}%", like_escape(v))));
                if c.operator == Operator::Contains {
                    pats.fold(Cond::any(), |acc, p| acc.add(text.clone().like(p)))
                } else {
                    pats.fold(Cond::all(), |acc, p| acc.add(text.clone().not_like(p)))
                }
            }
            _ => Cond::all(),
        };
    }
    let ci = matches!(c.data_type, DataType::TextCaseInsensitive)
        || (c.source == Source::CustomAttributes && c.data_type == DataType::Text);
    let lowered = |e: Expr| -> Expr { if ci { Func::lower(e).into() } else { e } };
    let vals: Vec<String> = if ci {
        c.values.iter().map(|v| v.to_lowercase()).collect()
    } else {
        c.values.clone()
    };
    match (c.data_type, c.operator) {
        (DataType::Date, op) => {
            let bound = match op {
                Operator::DaysBefore => {
                    let days = c
                        .values
                        .first()
                        .and_then(|v| v.parse::<i64>().ok())
                        .unwrap_or(0);
                    now.day_start().plus_seconds(-days * 86_400)
                }
                _ => c
                    .values
                    .first()
                    .and_then(|v| Timestamp::parse_day_start(v))
                    .unwrap_or(now),
            };
            match op {
                // date(col) > date(v)  ⇔  col >= start of the next day
                Operator::IsGreaterThan => {
                    Cond::all().add(col.gte(bound.plus_seconds(86_400).as_micros()))
                }
                _ => Cond::all().add(col.lt(bound.as_micros())),
            }
        }
        (DataType::Boolean, op) => {
            let wanted = c.values.first().map(|v| v == "true").unwrap_or(false);
            let wanted = if op == Operator::NotEqualTo {
                !wanted
            } else {
                wanted
            };
            match c.source {
                Source::Column => Cond::all().add(col.eq(wanted)),
                // JSON booleans read back as 'true'/'false' on PostgreSQL and 1/0 on SQLite.
                _ => Cond::any()
                    .add(col.clone().eq(if wanted { "true" } else { "false" }))
                    .add(col.eq(if wanted { "1" } else { "0" })),
            }
        }
        (_, Operator::EqualTo) => {
            if c.source == Source::CustomAttributes && ci {
                Cond::all().add(lowered(col).eq(vals.first().cloned().unwrap_or_default()))
            } else if c.data_type == DataType::Number {
                let nums: Vec<f64> = vals.iter().filter_map(|v| v.parse().ok()).collect();
                Cond::all().add(Expr::expr(Func::cast_as(col, "NUMERIC")).is_in(nums))
            } else {
                Cond::all().add(lowered(col).is_in(vals))
            }
        }
        (_, Operator::NotEqualTo) => {
            let base = if c.source == Source::CustomAttributes && ci {
                lowered(col.clone()).ne(vals.first().cloned().unwrap_or_default())
            } else {
                lowered(col.clone()).is_not_in(vals)
            };
            if c.source == Source::CustomAttributes {
                Cond::any().add(base).add(col.is_null())
            } else {
                Cond::all().add(base)
            }
        }
        (_, Operator::Contains) => vals.iter().fold(Cond::any(), |acc, v| {
            acc.add(
                Func::lower(col.clone())
                    .like(like(format!("%{}%", like_escape(&v.to_lowercase())))),
            )
        }),
        (_, Operator::DoesNotContain) => vals.iter().fold(Cond::all(), |acc, v| {
            acc.add(
                Func::lower(col.clone())
                    .not_like(like(format!("%{}%", like_escape(&v.to_lowercase())))),
            )
        }),
        (_, Operator::StartsWith) => Cond::all().add(Func::lower(col).like(like(format!(
            "{}%",
            like_escape(&vals.first().cloned().unwrap_or_default().to_lowercase())
        )))),
        (_, Operator::IsPresent) => Cond::all().add(col.is_not_null()),
        (_, Operator::IsNotPresent) => Cond::all().add(col.is_null()),
        (_, Operator::IsGreaterThan) => {
            let n = vals
                .first()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
            Cond::all().add(Expr::expr(Func::cast_as(col, "NUMERIC")).gt(n))
        }
        (_, Operator::IsLessThan) => {
            let n = vals
                .first()
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0);
            Cond::all().add(Expr::expr(Func::cast_as(col, "NUMERIC")).lt(n))
        }
        (_, Operator::DaysBefore) => Cond::all(),
    }
}

/// The whole filter as one condition on rows of `table`.
pub fn condition(filter: &Filter, table: &'static str, now: Timestamp) -> Cond {
    filter.groups.iter().fold(Cond::any(), |any, group| {
        any.add(
            group
                .iter()
                .fold(Cond::all(), |all, c| all.add(one(c, table, now))),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
    }
}
