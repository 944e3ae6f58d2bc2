using Microsoft.Extensions.Options;

namespace Confab.Cluster;

/// <summary>This node's id (<see cref="ClusterOptions.NodeId"/>, or the host name and process id).</summary>
public sealed class NodeIdentity(IOptions<ClusterOptions> options)
{
    public string Id { get; } = options.Value.NodeId is { Length: > 0 } id ? id : $"{Environment.MachineName}-{Environment.ProcessId}";
}
