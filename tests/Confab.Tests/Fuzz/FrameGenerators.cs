using System.Text;
using System.Text.Json;
using System.Globalization;
using CsCheck;

namespace Confab.Tests.Fuzz;

/// <summary>
/// A frame to send. <see cref="Ref"/>: the ref whose reply must come back (null when the protocol may ignore the frame);
/// <see cref="Topic"/> and <see cref="Event"/> for well-formed frames.
/// </summary>
public sealed record FuzzFrame(byte[] Bytes, bool Binary, string? Ref, string Kind, string? Topic = null, string? Event = null);

/// <summary>
/// CsCheck generators of Phoenix V2 frames for Confab's socket: well-formed frames with random topics, events and payloads
/// (wrong types, huge numbers, odd strings), and hostile ones (random bytes, mutated frames, binary frames, deep nesting,
/// wrong shapes, oversized) that the server must answer, ignore, or close that socket over with a reason.
/// </summary>
public static class FrameGenerators
{
    private static readonly string[] Topics = ["room:general", "room:random", "room:tech-talk", "room:nope", "room:", "phoenix", "room:general:x", "lobby", "room:' OR 1=1 --"];
    private static readonly string[] Events = ["phx_join", "phx_leave", "new_message", "new_message", "new_message", "typing", "heartbeat", "phx_reply", "phx_close", "presence_diff"];
    private static readonly string[] Keys = ["content", "content", "content", "client_id", "client_id", "last_seq", "user_id", "user", "id", "seq", "topic", "__proto__", ""];

    /// <summary>Strings that stress decoders: control characters, lone surrogates, emoji, SQL, HTML, format strings, long runs.</summary>
    public static readonly Gen<string> OddString = Gen.Frequency(
        (2, Gen.String[0, 40]),
        (2, Gen.Char.Array[0, 20].Select(chars => new string(chars))),
        (3, Gen.OneOf<string>("'; DROP TABLE messages; --", "<script>alert(1)</script>", "😀\u0000\u0007\u202e", "\ud800", "\udc00x", " ", "\n\t", "%s%n{0}")),
        (1, Gen.Int[1, 3000].Select(n => new string('a', n))));

    /// <summary>JSON number text, from ordinary to absurd (beyond long, beyond double).</summary>
    public static readonly Gen<string> Number = Gen.OneOf(
        Gen.Long.Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.Double.Select(d => double.IsFinite(d) ? d.ToString("R", CultureInfo.InvariantCulture) : "0"),
        Gen.OneOf<string>("123456789012345678901234567890", "1e400", "-1e400", "-0", "1.5e-320", "9223372036854775808", "-9223372036854775809", "0.0000001"));

    /// <summary>Any JSON value as text (strings escaped by the serializer, so lone surrogates become <c>\ud800</c> escapes).</summary>
    public static readonly Gen<string> Value = Gen.Recursive<string>((depth, self) => depth >= 3
        ? Scalar()
        : Gen.Frequency(
            (6, Scalar()),
            (1, self.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (1, Object(self))));

    /// <summary>A payload object with the room channel's keys (and others) given random values.</summary>
    public static readonly Gen<string> Payload = Object(Value);

    private static Gen<string> Scalar() => Gen.OneOf(
        Gen.OneOf<string>("null", "true", "false"),
        Number,
        OddString.Select(s => JsonSerializer.Serialize(s)),
        // Escapes the serializer would never write: lone surrogates, NUL, an escaped quote run.
        Gen.OneOf<string>("\"\\ud800\"", "\"x\\udc00\"", "\"\\ud83d\\ud83d\"", "\"\\u0000\"", "\"\\\"\\\"\""));

    private static Gen<string> Object(Gen<string> values) => Gen.Select(
        Gen.OneOf(Gen.OneOf<string>(Keys), OddString).Array[0, 4],
        values.Array[4],
        (keys, items) => "{" + string.Join(",", keys.Select((key, i) => JsonSerializer.Serialize(key) + ":" + items[i])) + "}");

    /// <summary>A decodable text frame with a fresh ref: answered with a reply, except typing (which may be ignored).</summary>
    public static Gen<FuzzFrame> WellFormed(Func<string> nextRef) => Gen.Select(
        Gen.Frequency((8, Gen.OneOf<string>(Topics)), (1, OddString.Select(s => "room:" + s))),
        Gen.Frequency((8, Gen.OneOf<string>(Events)), (1, OddString)),
        Payload,
        (topic, @event, payload) =>
        {
            var @ref = nextRef();
            var frame = $"[null,\"{@ref}\",{JsonSerializer.Serialize(topic)},{JsonSerializer.Serialize(@event)},{payload}]";
            return new FuzzFrame(Encoding.UTF8.GetBytes(frame), false, @event == "typing" ? null : @ref, "well-formed", topic, @event);
        });

    /// <summary>An envelope whose topic, event or ref is a JSON string that is no text (a lone surrogate escape).</summary>
    public static readonly Gen<FuzzFrame> BadEnvelope = Gen.OneOf<string>(
        "[null,\"1\",\"room:\\ud800\",\"phx_join\",{}]",
        "[null,\"1\",\"room:general\",\"new_\\udfff\",{}]",
        "[\"\\ud800\",\"1\",\"room:general\",\"new_message\",{}]",
        "[null,\"\\udc00\",\"phoenix\",\"heartbeat\",{}]").Select(text => new FuzzFrame(Encoding.UTF8.GetBytes(text), false, null, "bad envelope"));

    /// <summary>A frame the server may close the socket over (1007/1003/1009 with a reason), answer, or ignore.</summary>
    public static Gen<FuzzFrame> Hostile(Func<string> nextRef) => Gen.Frequency(
        (4, WellFormed(nextRef).Select(Gen.Int[1, 4], Gen.Int, (frame, count, seed) => frame with { Bytes = Mutate(frame.Bytes, count, seed), Ref = null, Kind = "mutated text" })),
        (2, Gen.Byte.Array[0, 200].Select(bytes => new FuzzFrame(bytes, false, null, "random text"))),
        (1, BadEnvelope),
        (2, Gen.Byte.Array[0, 200].Select(bytes => new FuzzFrame(bytes, true, null, "random binary"))),
        (2, Gen.Select(Gen.OneOf<string>(Topics), OddString, Gen.Byte.Array[0, 100], Gen.Int[0, 3], Gen.Int,
            (topic, @event, payload, mutations, seed) => new FuzzFrame(Mutate(BinaryPush(nextRef(), topic, @event, payload), mutations, seed), true, null, "binary push"))),
        (2, Value.Array[0, 7].Select(fields => new FuzzFrame(Encoding.UTF8.GetBytes("[" + string.Join(",", fields) + "]"), false, null, "wrong shape"))),
        (1, Gen.Int[60, 2000].Select(depth => new FuzzFrame(Encoding.UTF8.GetBytes($"[null,\"1\",\"room:general\",\"new_message\",{{\"content\":{new string('[', depth)}{new string(']', depth)}}}]"), false, null, "deep nesting"))),
        (1, Gen.Int[64 * 1024 + 1, 80 * 1024].Select(size => new FuzzFrame(Encoding.UTF8.GetBytes($"[null,\"1\",\"room:general\",\"new_message\",{{\"content\":\"{new string('x', size)}\"}}]"), false, null, "oversized"))),
        (1, Gen.Long.Select(n => new FuzzFrame(Encoding.UTF8.GetBytes($"[null,\"1\",\"room:general\",\"phx_join\",{{\"last_seq\":{n}{n}{n}.5e999}}]"), false, null, "huge number"))));

    private static byte[] BinaryPush(string @ref, string topic, string @event, byte[] payload)
    {
        byte[][] fields = [[], Encoding.UTF8.GetBytes(@ref), Encoding.UTF8.GetBytes(topic), Encoding.UTF8.GetBytes(@event)];
        var frame = new List<byte> { 0 };
        frame.AddRange(fields.Select(f => (byte)Math.Min(255, f.Length)));
        foreach (var field in fields)
        {
            frame.AddRange(field.Take(255));
        }

        frame.AddRange(payload);
        return [.. frame];
    }

    /// <summary>Flips, deletes, inserts, duplicates or truncates bytes.</summary>
    private static byte[] Mutate(byte[] bytes, int count, int seed)
    {
        var random = new Random(seed);
        var result = new List<byte>(bytes);
        for (var i = 0; i < count && result.Count > 0; i++)
        {
            var at = random.Next(result.Count);
            switch (random.Next(5))
            {
                case 0:
                    result[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    result.RemoveRange(at, Math.Min(result.Count - at, random.Next(1, 8)));
                    break;
                case 2:
                    result.Insert(at, (byte)random.Next(256));
                    break;
                case 3:
                    result.InsertRange(at, result.GetRange(at, Math.Min(result.Count - at, random.Next(1, 16))));
                    break;
                default:
                    result.RemoveRange(at, result.Count - at);
                    break;
            }
        }

        return [.. result];
    }

    /// <summary>A heartbeat with the given ref: the sentinel that shows everything sent before it was read.</summary>
    public static byte[] Heartbeat(string @ref) => Encoding.UTF8.GetBytes($"[null,\"{@ref}\",\"phoenix\",\"heartbeat\",{{}}]");
}
