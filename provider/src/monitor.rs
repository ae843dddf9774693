//! Registration of the component and its children with the engine's resource monitor, with the
//! `Construct` request's options applied the way the engine and the SDKs would.

use std::collections::HashMap;

use prost_types::Struct;
use pulumi_gestalt_proto::pulumi::pulumirpc::{
    Alias, ConstructRequest, RegisterResourceOutputsRequest, RegisterResourceRequest,
    RegisterResourceResponse, register_resource_request::CustomTimeouts,
    resource_monitor_client::ResourceMonitorClient,
};
use tonic::transport::Channel;

use crate::error::ProviderError;
use crate::wire::Str;

/// Version of the pulumi-aws plugin every aws child is pinned to: `[workspace.metadata.release]
/// pulumi-aws` of the workspace Cargo.toml, read by build.rs (the one place it is set).
pub const AWS_VERSION: &str = env!("JWKS_ROTATION_AWS_VERSION");
/// The aws package name (key of the `providers` map).
pub const AWS_PACKAGE: &str = "aws";

/// Options the `Construct` request carries, as they apply to registrations.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `providers` map of the request.
    pub providers: HashMap<String, String>,
    /// `dependsOn` of the component.
    pub dependencies: Vec<String>,
    /// URNs the inputs depend on.
    pub input_dependencies: Vec<String>,
    /// `protect`.
    pub protect: Option<bool>,
    /// `retainOnDelete`.
    pub retain_on_delete: Option<bool>,
    /// `deletedWith`.
    pub deleted_with: String,
    /// Aliases of the component.
    pub aliases: Vec<Alias>,
    /// `customTimeouts`, applied to every child.
    pub custom_timeouts: Option<CustomTimeouts>,
}

impl Options {
    /// Takes the options from a request.
    pub fn from_request(req: &ConstructRequest) -> Self {
        let mut input_dependencies: Vec<String> = req
            .input_dependencies
            .values()
            .flat_map(|d| d.urns.iter().cloned())
            .collect();
        input_dependencies.sort();
        input_dependencies.dedup();
        Options {
            providers: req.providers.clone(),
            dependencies: req.dependencies.clone(),
            input_dependencies,
            protect: req.protect,
            retain_on_delete: req.retain_on_delete,
            deleted_with: req.deleted_with.clone(),
            aliases: req.aliases.clone(),
            custom_timeouts: req.custom_timeouts.as_ref().map(|t| CustomTimeouts {
                create: t.create.clone(),
                update: t.update.clone(),
                delete: t.delete.clone(),
            }),
        }
    }
}

/// A child resource to register.
#[derive(Debug, Clone)]
pub struct Child {
    /// Type token.
    pub r#type: &'static str,
    /// Resource name.
    pub name: String,
    /// Inputs.
    pub inputs: Struct,
    /// URNs of the children whose outputs the inputs use.
    pub depends_on: Vec<String>,
    /// Inputs whose changes are ignored.
    pub ignore_changes: Vec<String>,
}

impl Child {
    /// A child with the given inputs and no dependencies.
    pub fn new(r#type: &'static str, name: String, inputs: Struct) -> Self {
        Child {
            r#type,
            name,
            inputs,
            depends_on: Vec::new(),
            ignore_changes: Vec::new(),
        }
    }

    /// Adds dependencies on registered children.
    pub fn after(mut self, deps: &[&Registered]) -> Self {
        self.depends_on.extend(deps.iter().map(|d| d.urn.clone()));
        self
    }
}

/// A registered resource: its URN, id and outputs (unknowns during preview).
#[derive(Debug, Clone)]
pub struct Registered {
    /// URN.
    pub urn: String,
    /// Id, unknown while not created.
    pub id: Str,
    /// Output properties.
    pub outputs: Struct,
}

impl Registered {
    /// A string output.
    pub fn out(&self, key: &str) -> Str {
        Str::from_output(&self.outputs, key)
    }
}

/// A connection to the resource monitor, bound to one `Construct` request.
#[derive(Clone)]
pub struct Monitor {
    client: ResourceMonitorClient<Channel>,
    options: Options,
    parent: String,
}

impl Monitor {
    /// Connects to `endpoint` (`host:port`).
    pub async fn connect(endpoint: &str, options: Options) -> Result<Self, ProviderError> {
        let uri = if endpoint.contains("://") {
            endpoint.to_string()
        } else {
            format!("http://{endpoint}")
        };
        let channel = Channel::from_shared(uri)
            .map_err(|e| ProviderError::invalid("monitorEndpoint", endpoint, e.to_string()))?
            .connect()
            .await
            .map_err(|source| ProviderError::Connect {
                endpoint: endpoint.to_string(),
                source,
            })?;
        Ok(Monitor {
            client: ResourceMonitorClient::new(channel)
                .max_decoding_message_size(400 * 1024 * 1024)
                .max_encoding_message_size(400 * 1024 * 1024),
            options,
            parent: String::new(),
        })
    }

    /// Registers the component itself (same type, name and parent as the request) and returns
    /// a monitor whose children are parented to it.
    pub async fn register_component(
        &self,
        r#type: &str,
        name: &str,
        parent: &str,
    ) -> Result<(Monitor, String), ProviderError> {
        let o = &self.options;
        let req = RegisterResourceRequest {
            r#type: r#type.to_string(),
            name: name.to_string(),
            parent: parent.to_string(),
            custom: false,
            object: Some(Struct::default()),
            protect: o.protect,
            dependencies: o.dependencies.clone(),
            providers: o.providers.clone(),
            retain_on_delete: o.retain_on_delete,
            deleted_with: o.deleted_with.clone(),
            aliases: o.aliases.clone(),
            alias_specs: true,
            accept_secrets: true,
            accept_resources: true,
            supports_partial_values: true,
            ..Default::default()
        };
        let resp = self.send(req).await?;
        let mut child = self.clone();
        child.parent = resp.urn.clone();
        Ok((child, resp.urn))
    }

    /// Registers an aws child under the component.
    pub async fn register(&self, child: Child) -> Result<Registered, ProviderError> {
        let o = &self.options;
        let mut dependencies = o.dependencies.clone();
        dependencies.extend(o.input_dependencies.iter().cloned());
        dependencies.extend(child.depends_on.iter().cloned());
        dependencies.sort();
        dependencies.dedup();
        let req = RegisterResourceRequest {
            r#type: child.r#type.to_string(),
            name: child.name.clone(),
            parent: self.parent.clone(),
            custom: true,
            object: Some(child.inputs),
            protect: o.protect,
            dependencies,
            provider: o.providers.get(AWS_PACKAGE).cloned().unwrap_or_default(),
            version: AWS_VERSION.to_string(),
            ignore_changes: child.ignore_changes,
            retain_on_delete: o.retain_on_delete,
            deleted_with: o.deleted_with.clone(),
            custom_timeouts: o.custom_timeouts.clone(),
            // The engine derives the children's aliases from the component's.
            alias_specs: true,
            accept_secrets: true,
            accept_resources: true,
            supports_partial_values: true,
            ..Default::default()
        };
        let resp = self.send(req).await?;
        Ok(Registered {
            urn: resp.urn,
            id: if resp.id.is_empty() || crate::wire::is_unknown(&crate::wire::string(&resp.id)) {
                Str::unknown()
            } else {
                Str::known(resp.id)
            },
            outputs: resp.object.unwrap_or_default(),
        })
    }

    /// Sends one registration; the error names the resource.
    async fn send(
        &self,
        req: RegisterResourceRequest,
    ) -> Result<RegisterResourceResponse, ProviderError> {
        let context = format!("registering {} {}", req.r#type, req.name);
        self.client
            .clone()
            .register_resource(req)
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| ProviderError::Monitor { context, status })
    }

    /// Records the component's outputs.
    pub async fn register_outputs(&self, urn: &str, outputs: Struct) -> Result<(), ProviderError> {
        self.client
            .clone()
            .register_resource_outputs(RegisterResourceOutputsRequest {
                urn: urn.to_string(),
                outputs: Some(outputs),
            })
            .await
            .map_err(|status| ProviderError::Monitor {
                context: format!("registering the outputs of {urn}"),
                status,
            })?;
        Ok(())
    }
}
