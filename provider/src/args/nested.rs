//! The nested input objects: `cloudFront` and `alarm`.

use prost_types::Struct;

use crate::error::ProviderError;
use crate::wire::Str;

use super::reader::Reader;
use super::{
    ALARM_FIELDS, AlarmArgs, CLOUD_FRONT_FIELDS, CloudFrontArgs, DEFAULT_ALARM_EVALUATION_PERIODS,
    DEFAULT_ALARM_PERIOD_SECONDS, DEFAULT_PRICE_CLASS, In,
};

const PRICE_CLASSES: [&str; 3] = ["PriceClass_100", "PriceClass_200", "PriceClass_All"];

pub(super) fn parse_cloud_front(obj: &Struct) -> Result<CloudFrontArgs, ProviderError> {
    let r = Reader::new(obj, "cloudFront.");
    r.refuse_unknown_fields(&CLOUD_FRONT_FIELDS)?;
    let price_class = r
        .string("priceClass")?
        .unwrap_or_else(|| Str::known(DEFAULT_PRICE_CLASS));
    if let Some(p) = &price_class.value
        && !PRICE_CLASSES.contains(&p.as_str())
    {
        return Err(ProviderError::invalid(
            "cloudFront.priceClass",
            p.clone(),
            format!("must be one of {PRICE_CLASSES:?}"),
        ));
    }
    let aliases = r.string_list("aliases")?.unwrap_or(In::Known(Vec::new()));
    let acm_certificate_arn = r.string("acmCertificateArn")?;
    if let Some(Str {
        value: Some(arn), ..
    }) = &acm_certificate_arn
        && !(arn.starts_with("arn:") && arn.contains(":acm:us-east-1:"))
    {
        return Err(ProviderError::invalid(
            "cloudFront.acmCertificateArn",
            arn.clone(),
            "must be the ARN of an ACM certificate in us-east-1 (CloudFront only uses certificates from that region)",
        ));
    }
    if let In::Known(list) = &aliases
        && !list.is_empty()
        && acm_certificate_arn.is_none()
    {
        return Err(ProviderError::invalid(
            "cloudFront.aliases",
            format!(
                "{:?}",
                list.iter()
                    .map(|a| a.value.clone().unwrap_or_default())
                    .collect::<Vec<_>>()
            ),
            "needs cloudFront.acmCertificateArn: CloudFront serves alternate domain names only with a certificate that covers them",
        ));
    }
    Ok(CloudFrontArgs {
        price_class,
        aliases,
        acm_certificate_arn,
    })
}

pub(super) fn parse_alarm(obj: &Struct) -> Result<AlarmArgs, ProviderError> {
    let r = Reader::new(obj, "alarm.");
    r.refuse_unknown_fields(&ALARM_FIELDS)?;
    let sns_topic_arns = match r.string_list("snsTopicArns")? {
        None => {
            return Err(ProviderError::MissingInput {
                input: "alarm.snsTopicArns".into(),
                rule: "a list of at least one SNS topic ARN".into(),
            });
        }
        Some(In::Known(list)) if list.is_empty() => {
            return Err(ProviderError::invalid(
                "alarm.snsTopicArns",
                "[]",
                "needs at least one SNS topic ARN",
            ));
        }
        Some(l) => l,
    };
    if let In::Known(list) = &sns_topic_arns {
        for arn in list.iter().filter_map(|a| a.value.as_ref()) {
            if !(arn.starts_with("arn:") && arn.contains(":sns:")) {
                return Err(ProviderError::invalid(
                    "alarm.snsTopicArns",
                    arn.clone(),
                    "each entry must be an SNS topic ARN (`arn:aws:sns:<region>:<account>:<topic>`)",
                ));
            }
        }
    }
    let evaluation_periods = match r.integer("evaluationPeriods")? {
        None => In::Known(DEFAULT_ALARM_EVALUATION_PERIODS),
        Some(In::Unknown) => In::Unknown,
        Some(In::Known(n)) => match u32::try_from(n) {
            Ok(v) if v >= 1 => In::Known(v),
            _ => {
                return Err(ProviderError::invalid(
                    "alarm.evaluationPeriods",
                    n.to_string(),
                    "must be a whole number, at least 1",
                ));
            }
        },
    };
    let period_seconds = match r.integer("periodSeconds")? {
        None => In::Known(DEFAULT_ALARM_PERIOD_SECONDS),
        Some(In::Unknown) => In::Unknown,
        Some(In::Known(n)) => match u32::try_from(n) {
            Ok(v) if v == 10 || v == 30 || (v >= 60 && v % 60 == 0) => In::Known(v),
            _ => {
                return Err(ProviderError::invalid(
                    "alarm.periodSeconds",
                    n.to_string(),
                    "CloudWatch accepts 10, 30 or a multiple of 60",
                ));
            }
        },
    };
    Ok(AlarmArgs {
        sns_topic_arns,
        evaluation_periods,
        period_seconds,
    })
}
