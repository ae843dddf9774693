//! The AWS side of [`jwks_rotation_core::actions::Backend`]: the Secrets Manager and S3 calls the
//! actions make, over the AWS SDK. AWS outcomes the actions act on (absent, token in use, label
//! not where expected, precondition failed) become values; everything else an [`Error`] that
//! names the operation. Secret values are parsed with [`StoredValue::parse`]; no error quotes a
//! value.

use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, Utc};
use jwks_rotation_core::actions::{
    Backend, Fetched, MoveOutcome, Precondition, PutOutcome, RegistryRead, WriteOutcome,
};
use jwks_rotation_core::jwks::JWKS_CONTENT_TYPE;
use jwks_rotation_core::lifecycle::REGISTRY_METADATA_KEY;
use jwks_rotation_core::{PublicJwk, RotationConfig, SecretValue, StoredValue};

use crate::deps::Deps;
use crate::error::Error;
use crate::keygen;

/// Media type of the private registry object.
pub const REGISTRY_CONTENT_TYPE: &str = "application/json";

fn sm_error<E: std::error::Error + 'static>(operation: &'static str, e: E) -> Error {
    Error::SecretsManager {
        operation,
        message: DisplayErrorContext(e).to_string(),
    }
}

fn s3_error<E: std::error::Error + 'static>(operation: &'static str, e: E) -> Error {
    Error::S3 {
        operation,
        message: DisplayErrorContext(e).to_string(),
    }
}

impl Deps {
    async fn get_object(&self, key: &str) -> Result<Option<RegistryRead>, Error> {
        let result = self
            .s3
            .get_object()
            .bucket(&self.config.bucket)
            .key(key)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                let missing = e.as_service_error().is_some_and(|s| s.is_no_such_key())
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                return if missing {
                    Ok(None)
                } else {
                    Err(s3_error("GetObject", e))
                };
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let legacy_registry = out
            .metadata()
            .and_then(|m| m.get(REGISTRY_METADATA_KEY))
            .cloned();
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| s3_error("GetObject", e))?
            .into_bytes()
            .to_vec();
        Ok(Some(RegistryRead {
            body,
            etag,
            legacy_registry,
        }))
    }

    async fn put_object(
        &self,
        key: &str,
        body: &[u8],
        content_type: &str,
        cache_control: Option<&str>,
        precondition: &Precondition,
    ) -> Result<WriteOutcome, Error> {
        let mut req = self
            .s3
            .put_object()
            .bucket(&self.config.bucket)
            .key(key)
            .body(ByteStream::from(body.to_vec()))
            .content_type(content_type)
            .set_cache_control(cache_control.map(str::to_string));
        req = match precondition {
            Precondition::IfMatch(etag) => req.if_match(etag),
            Precondition::IfAbsent => req.if_none_match("*"),
        };
        match req.send().await {
            Ok(out) => Ok(WriteOutcome::Written(
                out.e_tag().unwrap_or_default().to_string(),
            )),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let code = e
                    .as_service_error()
                    .and_then(|s| s.code())
                    .unwrap_or_default();
                // 412: changed since read; 404: deleted since read (If-Match on a missing
                // key); 409: a concurrent conditional write is in flight.
                if matches!(status, Some(412 | 404 | 409))
                    || matches!(
                        code,
                        "PreconditionFailed" | "NoSuchKey" | "ConditionalRequestConflict"
                    )
                {
                    Ok(WriteOutcome::Conflict)
                } else {
                    Err(s3_error("PutObject", e))
                }
            }
        }
    }
}

impl Backend for Deps {
    type Error = Error;

    fn config(&self) -> &RotationConfig {
        &self.config
    }

    fn now(&self) -> DateTime<Utc> {
        Deps::now(self)
    }

    fn generate(&self, now: DateTime<Utc>) -> Result<SecretValue, Error> {
        keygen::generate(self.config.key_spec, self.config.kid_strategy, now)
    }

    fn sign_and_verify(&self, key: &SecretValue, published: &PublicJwk) -> Result<(), Error> {
        keygen::sign_and_verify(key, published)
    }

    fn etag_of(&self, body: &[u8]) -> String {
        use md5::Digest as _;
        format!("\"{}\"", hex::encode(md5::Md5::digest(body)))
    }

    async fn describe(&self) -> Result<jwks_rotation_core::actions::Labels, Error> {
        Ok(self.describe_with_schedule().await?.0)
    }

    async fn describe_with_schedule(
        &self,
    ) -> Result<(jwks_rotation_core::actions::Labels, Option<DateTime<Utc>>), Error> {
        let out = self
            .secrets
            .describe_secret()
            .secret_id(&self.config.secret_id)
            .send()
            .await
            .map_err(|e| sm_error("DescribeSecret", e))?;
        let labels = out
            .version_ids_to_stages()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let next = out
            .next_rotation_date()
            .and_then(|d| DateTime::from_timestamp(d.secs(), 0));
        Ok((labels, next))
    }

    async fn get(&self, version_id: Option<&str>, stage: Option<&str>) -> Result<Fetched, Error> {
        let result = self
            .secrets
            .get_secret_value()
            .secret_id(&self.config.secret_id)
            .set_version_id(version_id.map(str::to_string))
            .set_version_stage(stage.map(str::to_string))
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                return match e.as_service_error() {
                    Some(s) if s.is_resource_not_found_exception() => Ok(Fetched::NotFound),
                    Some(s)
                        if s.is_invalid_request_exception()
                            && version_id.is_some()
                            && stage.is_some() =>
                    {
                        Ok(Fetched::StageMismatch)
                    }
                    _ => Err(sm_error("GetSecretValue", e)),
                };
            }
        };
        let location = match (version_id, stage) {
            (Some(v), _) => format!("version {v}"),
            (None, Some(s)) => format!("stage {s}"),
            (None, None) => "AWSCURRENT".to_string(),
        };
        let Some(text) = out.secret_string() else {
            return Err(Error::foreign_reason(
                location,
                "the version holds a binary secret, not a jwks-rotation key",
            ));
        };
        let value = StoredValue::parse(text).map_err(|e| Error::foreign(location, e))?;
        Ok(Fetched::Found {
            version_id: out.version_id().unwrap_or_default().to_string(),
            stages: out.version_stages().to_vec(),
            value,
        })
    }

    async fn put(
        &self,
        token: &str,
        value: &SecretValue,
        stages: &[&str],
    ) -> Result<PutOutcome, Error> {
        let result = self
            .secrets
            .put_secret_value()
            .secret_id(&self.config.secret_id)
            .client_request_token(token)
            .secret_string(value.to_json())
            .set_version_stages(Some(stages.iter().map(|s| s.to_string()).collect()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(PutOutcome::Written),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_exists_exception()) =>
            {
                Ok(PutOutcome::TokenInUse)
            }
            Err(e) => Err(sm_error("PutSecretValue", e)),
        }
    }

    async fn move_label(
        &self,
        label: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<MoveOutcome, Error> {
        let result = self
            .secrets
            .update_secret_version_stage()
            .secret_id(&self.config.secret_id)
            .version_stage(label)
            .set_move_to_version_id(move_to.map(str::to_string))
            .set_remove_from_version_id(remove_from.map(str::to_string))
            .send()
            .await;
        match result {
            Ok(_) => Ok(MoveOutcome::Moved),
            // The label is not where the decision saw it: AWS refuses the move with
            // InvalidParameterException, which the action answers by deciding again.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_invalid_parameter_exception()) =>
            {
                tracing::info!(
                    label,
                    move_to,
                    remove_from,
                    "the label moved since it was read; deciding again"
                );
                Ok(MoveOutcome::Conflict)
            }
            Err(e) => Err(sm_error("UpdateSecretVersionStage", e)),
        }
    }

    async fn read_registry(&self) -> Result<Option<RegistryRead>, Error> {
        self.get_object(&self.config.registry_key()).await
    }

    async fn write_registry(
        &self,
        body: &[u8],
        precondition: &Precondition,
    ) -> Result<WriteOutcome, Error> {
        let out = self
            .put_object(
                &self.config.registry_key(),
                body,
                REGISTRY_CONTENT_TYPE,
                Some("no-store"),
                precondition,
            )
            .await?;
        if out == WriteOutcome::Conflict {
            tracing::info!(
                "the key registry changed since it was read; re-reading and deciding again"
            );
        }
        Ok(out)
    }

    async fn read_jwks(&self) -> Result<Option<RegistryRead>, Error> {
        self.get_object(&self.config.object_key).await
    }

    async fn write_jwks(
        &self,
        body: &[u8],
        precondition: &Precondition,
    ) -> Result<WriteOutcome, Error> {
        self.put_object(
            &self.config.object_key,
            body,
            JWKS_CONTENT_TYPE,
            Some(&self.config.cache_control),
            precondition,
        )
        .await
    }
}
