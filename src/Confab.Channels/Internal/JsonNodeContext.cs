using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Confab.Channels.Internal;

/// <summary>Source-generated metadata for the JSON node types the library serializes (no reflection).</summary>
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class JsonNodeContext : JsonSerializerContext;
