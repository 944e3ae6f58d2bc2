using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Confab.Bench.Web;

/// <summary>
/// The hub calls a browser makes on its circuit, as blazor.web.js (.NET 10) makes them: recorded from Chromium's
/// WebSocket frames on the room page (Playwright), and sent here in the same order and form. After the JSON handshake
/// (and a ping):
/// <list type="number">
/// <item><c>StartCircuit(baseUri, uri, "[]", state)</c> invoked with id "0" (no components yet; state is the page's
/// <c>Blazor-Server-Component-State</c>); the completion carries the circuit id.</item>
/// <item>The server asks <c>JS.BeginInvokeJS(h, "Blazor._internal.attachWebRendererInterop", "[1,{"__dotNetObject":1},{},{}]", 3, 0, 1)</c>:
/// the renderer's interop object, through which events go.</item>
/// <item><c>UpdateRootComponents({"batchId":1,"operations":[{"type":"add","ssrComponentId":1,"marker":{…,"uniqueId":0}}]}, state)</c>
/// sent: each server component marker as the HTML has it, plus its unique id.</item>
/// <item>Then <c>OnRenderCompleted(id, null)</c> for each <c>JS.RenderBatch(id, bytes)</c>, and
/// <c>EndInvokeJSFromDotNet(h, true, "[h,true,result]")</c> for each <c>JS.BeginInvokeJS(h, identifier, argsJson,
/// resultType, targetId, callType)</c>: the room page imports ./js/room.js (a JS object reference), calls its init
/// (a time zone) and then void functions (null).</item>
/// <item>An event: <c>BeginInvokeDotNetFromJS(callId, null, "DispatchEventAsync", interopObjectId, "[descriptor, eventArgs]")</c>,
/// the descriptor <c>{"eventHandlerId":N,"eventName":"input","eventFieldInfo":{"componentId":C,"fieldValue":"text"}}</c>
/// and the arguments <c>{"value":"text"}</c>; a submit has <c>"eventFieldInfo":null</c> and <c>{}</c>. (The hub's
/// DispatchBrowserEvent is not what blazor.web.js uses.) The server answers <c>JS.EndInvokeDotNet(callId, true, "{}")</c>.</item>
/// <item>A ping <c>[6]</c> when the client has sent nothing for 15 s.</item>
/// </list>
/// </summary>
internal static class CircuitProtocol
{
    /// <summary>JSCallResultType.JSObjectReference: the call returns a JS object (an imported module).</summary>
    public const long JSObjectReference = 1;

    /// <summary>The id of the first DotNetObject reference (<c>{"__dotNetObject":N}</c>) in a call's arguments, or 0.</summary>
    public static long DotNetObjectId(string argumentsJson)
    {
        const string Key = "\"__dotNetObject\":";
        int at = argumentsJson.IndexOf(Key, StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        at += Key.Length;
        int end = at;
        while (end < argumentsJson.Length && char.IsAsciiDigit(argumentsJson[end]))
        {
            end++;
        }

        return long.Parse(argumentsJson.AsSpan(at, end - at), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static ArrayBufferWriter<byte> StartCircuit(Uri baseUri, Uri uri, RoomPageMarkers page)
    {
        var output = new ArrayBufferWriter<byte>(256 + page.PersistedState.Length);
        BlazorPack.WriteInvocation(output, "0", "StartCircuit", baseUri.ToString(), uri.ToString(), "[]", page.PersistedState);
        return output;
    }

    public static ArrayBufferWriter<byte> UpdateRootComponents(RoomPageMarkers page)
    {
        var json = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteNumber("batchId", 1);
            writer.WriteStartArray("operations");
            for (int i = 0; i < page.Components.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "add");
                writer.WriteNumber("ssrComponentId", i + 1);
                writer.WriteStartObject("marker");
                foreach (var property in page.Components[i].EnumerateObject())
                {
                    property.WriteTo(writer);
                }

                writer.WriteNumber("uniqueId", i);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        var output = new ArrayBufferWriter<byte>(json.WrittenCount + 64);
        BlazorPack.WriteInvocation(output, null, "UpdateRootComponents", Encoding.UTF8.GetString(json.WrittenSpan), page.PersistedState);
        return output;
    }

    public static ArrayBufferWriter<byte> RenderCompleted(long batchId)
    {
        var output = new ArrayBufferWriter<byte>(48);
        BlazorPack.WriteInvocation(output, null, "OnRenderCompleted", batchId, null);
        return output;
    }

    public static ArrayBufferWriter<byte> EndInvokeJS(long handle, string resultJson)
    {
        var output = new ArrayBufferWriter<byte>(96);
        string handleText = handle.ToString(System.Globalization.CultureInfo.InvariantCulture);
        BlazorPack.WriteInvocation(output, null, "EndInvokeJSFromDotNet", handle, true, "[" + handleText + ",true," + resultJson + "]");
        return output;
    }

    /// <summary>The composer's input event with the whole text, as after a paste.</summary>
    public static ArrayBufferWriter<byte> Input(Composer composer, long callId, string text) => Event(
        composer, callId,
        composer.InputHandler,
        "input",
        writer =>
        {
            writer.WriteStartObject("eventFieldInfo");
            writer.WriteNumber("componentId", composer.ComponentId);
            writer.WriteString("fieldValue", text);
            writer.WriteEndObject();
        },
        writer => writer.WriteString("value", text));

    /// <summary>The form's submit event (room.js submits the form on Enter).</summary>
    public static ArrayBufferWriter<byte> Submit(Composer composer, long callId) =>
        Event(composer, callId, composer.SubmitHandler, "submit", writer => writer.WriteNull("eventFieldInfo"), _ => { });

    // blazor.web.js dispatches an event through the renderer's interop object (attachWebRendererInterop gave its id):
    // invokeMethodAsync('DispatchEventAsync', descriptor, eventArgs), which the circuit's connection sends as this.
    private static ArrayBufferWriter<byte> Event(
        Composer composer, long callId, ulong handler, string name, Action<Utf8JsonWriter> fieldInfo, Action<Utf8JsonWriter> arguments)
    {
        var json = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartArray();
            writer.WriteStartObject();
            writer.WriteNumber("eventHandlerId", handler);
            writer.WriteString("eventName", name);
            fieldInfo(writer);
            writer.WriteEndObject();
            writer.WriteStartObject();
            arguments(writer);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        var output = new ArrayBufferWriter<byte>(json.WrittenCount + 96);
        BlazorPack.WriteInvocation(
            output, null, "BeginInvokeDotNetFromJS", callId.ToString(System.Globalization.CultureInfo.InvariantCulture), null, "DispatchEventAsync",
            composer.RendererInterop, Encoding.UTF8.GetString(json.WrittenSpan));
        return output;
    }
}
