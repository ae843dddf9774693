//! The optional CloudWatch alarm on the rotation Lambda's errors (`alarm`).

use crate::args::{AlarmArgs, In};
use crate::error::ProviderError;
use crate::monitor::{Child, Registered};
use crate::wire::{self, Str, number, object, string};

use super::Ctx;

fn int(v: &In<u32>) -> wire::Value {
    match v {
        In::Known(n) => number(f64::from(*n)),
        In::Unknown => string(wire::UNKNOWN_NUMBER),
    }
}

/// The alarm: any error of the function (a failed rotation step or cleanup) in a period.
pub async fn alarm(
    ctx: &Ctx<'_>,
    a: &AlarmArgs,
    function: &Registered,
) -> Result<Registered, ProviderError> {
    let topics = match &a.sns_topic_arns {
        In::Known(list) => wire::list(list.iter().map(Str::to_wire).collect()),
        In::Unknown => string(wire::UNKNOWN_ARRAY),
    };
    ctx.monitor
        .register(
            Child::new(
                "aws:cloudwatch/metricAlarm:MetricAlarm",
                ctx.child_name("rotation-errors"),
                ctx.with_tags([
                    (
                        "alarmDescription",
                        string("The jwks-rotation Lambda failed a rotation step or a cleanup"),
                    ),
                    ("namespace", string("AWS/Lambda")),
                    ("metricName", string("Errors")),
                    (
                        "dimensions",
                        object([("FunctionName", function.out("name").to_wire())]),
                    ),
                    ("statistic", string("Sum")),
                    (
                        "comparisonOperator",
                        string("GreaterThanOrEqualToThreshold"),
                    ),
                    ("threshold", number(1.0)),
                    ("evaluationPeriods", int(&a.evaluation_periods)),
                    ("period", int(&a.period_seconds)),
                    ("treatMissingData", string("notBreaching")),
                    ("alarmActions", topics),
                ]),
            )
            .after(&[function]),
        )
        .await
}
