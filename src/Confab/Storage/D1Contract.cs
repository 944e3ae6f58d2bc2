using System.Buffers;
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Confab.Storage;

/// <summary>
/// D1's HTTP JSON contract, as the REST API's <c>/query</c> and the Worker's outbound handler speak it.
/// <code>
/// request: {"sql": "SELECT ?1 AS n", "params": [1]}   or   {"batch": [{"sql": "...", "params": [...]}, ...]}
/// answer:  {"result": [{"results": [{"n": 1}], "success": true, "meta": {"changes": 0, "last_row_id": 0, ...}}],
///           "success": true, "errors": [], "messages": []}
/// refused: {"result": [], "success": false, "errors": [{"code": 7500, "message": "D1_ERROR: ... SQLITE_CONSTRAINT"}]} (HTTP 400)
/// </code>
/// Values travel as JSON: D1 binds every number as a REAL (columns with INTEGER affinity store integers), and numbers
/// come back as JavaScript doubles, exact up to 2^53 - 1 (<see cref="SqlStatement.MaxSafeInteger"/>).
/// </summary>
internal static class D1Contract
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Text goes out as UTF-8, not as \uXXXX escapes: a message of emoji stays a third of the size. Not HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static ReadOnlyMemory<byte> WriteRequest(IReadOnlyList<SqlStatement> statements, bool batch)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            if (batch)
            {
                writer.WriteStartArray("batch"u8);
                foreach (var statement in statements)
                {
                    writer.WriteStartObject();
                    WriteStatement(writer, statement);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }
            else
            {
                WriteStatement(writer, statements[0]);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteStatement(Utf8JsonWriter writer, SqlStatement statement)
    {
        writer.WriteString("sql"u8, statement.Sql);
        writer.WriteStartArray("params"u8);
        foreach (var value in statement.Parameters)
        {
            switch (value)
            {
                case null:
                    writer.WriteNullValue();
                    break;
                case string text:
                    writer.WriteStringValue(text);
                    break;
                case long number:
                    writer.WriteNumberValue(number);
                    break;
                case int number:
                    writer.WriteNumberValue(number);
                    break;
                case double number:
                    writer.WriteNumberValue(number);
                    break;
                default:
                    // SqlStatement admits nothing else.
                    throw new ArgumentException($"A {value.GetType().Name} cannot be sent to D1.", nameof(statement));
            }
        }

        writer.WriteEndArray();
    }

    /// <summary>The rows and meta of each statement, in order.</summary>
    public static IReadOnlyList<SqlResult> ToResults(D1Response answer, int statementCount)
    {
        var results = answer.Result ?? [];
        if (results.Count != statementCount)
        {
            throw new StorageException($"D1 answered {results.Count} result(s) for {statementCount} statement(s).", StorageErrorKind.Unavailable);
        }

        var mapped = new SqlResult[results.Count];
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i];
            var rows = result.Results is { Count: > 0 } values ? values.ConvertAll(row => new SqlRow(row)) : [];
            mapped[i] = new SqlResult(rows, result.Meta?.Changes ?? 0, result.Meta?.LastRowId ?? 0);
        }

        return mapped;
    }

    /// <summary>What D1 said no with: its code and message, classified for callers such as MessageLog.</summary>
    public static StorageException Refused(HttpStatusCode status, D1Response? answer)
    {
        var error = answer?.Errors is { Count: > 0 } errors ? errors[0] : null;
        var message = error?.Message ?? $"HTTP {(int)status} without a D1 error";
        var kind = status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => StorageErrorKind.Unavailable,
            HttpStatusCode.NotFound when error is null => StorageErrorKind.Unavailable,
            _ when (int)status >= 500 || status == HttpStatusCode.TooManyRequests || IsTransient(message) => StorageErrorKind.Unavailable,
            _ when message.Contains("SQLITE_CONSTRAINT", StringComparison.Ordinal)
                || message.Contains("constraint failed", StringComparison.OrdinalIgnoreCase) => StorageErrorKind.Constraint,
            _ => StorageErrorKind.Invalid,
        };
        var hint = status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => " Check Storage:D1:Token.",
            HttpStatusCode.NotFound when error is null => " Check Storage:D1:BaseUrl.",
            _ => "",
        };
        return new StorageException($"D1 refused the statement (HTTP {(int)status}): {message}.{hint}", kind)
        {
            Code = error?.Code.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    /// <summary>D1's own words for "not now": its documentation says to retry these.</summary>
    private static bool IsTransient(string message) =>
        message.Contains("Network connection lost", StringComparison.OrdinalIgnoreCase)
        || message.Contains("overloaded", StringComparison.OrdinalIgnoreCase)
        || message.Contains("object to be reset", StringComparison.OrdinalIgnoreCase)
        || message.Contains("reset because its code was updated", StringComparison.OrdinalIgnoreCase);
}

internal sealed class D1Response
{
    public List<D1StatementResult>? Result { get; set; }

    public bool Success { get; set; }

    public List<D1Message>? Errors { get; set; }
}

internal sealed class D1StatementResult
{
    /// <summary>Rows as objects, column name to value (long, double, string, null; a blob as byte[]).</summary>
    public List<Dictionary<string, object?>>? Results { get; set; }

    public bool Success { get; set; }

    public D1Meta? Meta { get; set; }
}

internal sealed class D1Meta
{
    public long Changes { get; set; }

    public long LastRowId { get; set; }
}

internal sealed class D1Message
{
    public long Code { get; set; }

    public string? Message { get; set; }
}

/// <summary>A JSON value of a row as SqlRow holds it: integers as long, other numbers as double, text as string.</summary>
internal sealed class D1ValueConverter : JsonConverter<object?>
{
    public override object? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            // Boxed apart: in one conditional expression, a long would be widened to double.
            JsonTokenType.Number => reader.TryGetInt64(out var integer) ? (object)integer : reader.GetDouble(),
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Null => null,
            JsonTokenType.True => 1L,
            JsonTokenType.False => 0L,
            JsonTokenType.StartArray => ReadBlob(ref reader),
            _ => throw new JsonException($"D1 sent a {reader.TokenType} where a column value belongs."),
        };

    public override void Write(Utf8JsonWriter writer, object? value, JsonSerializerOptions options) =>
        throw new NotSupportedException("Requests are written by D1Contract.WriteRequest.");

    private static byte[] ReadBlob(ref Utf8JsonReader reader)
    {
        // D1 returns a BLOB as an array of byte values.
        var bytes = new List<byte>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            bytes.Add(reader.GetByte());
        }

        return bytes.ToArray();
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    Converters = [typeof(D1ValueConverter)])]
[JsonSerializable(typeof(D1Response))]
internal sealed partial class D1JsonContext : JsonSerializerContext;
