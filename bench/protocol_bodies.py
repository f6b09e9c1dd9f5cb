"""The same logpipe events (bench/event_gen's) as each shipper protocol sends them, so that the
collector benchmark compares every decoder with `POST /logs` on identical content: one request
body per batch of events, in each protocol's documented mapping (docs/PROTOCOLS.md), so the
decoded events carry the same service, level, message, timestamp, host, trace id, labels and
payload. Needs the Python protobuf, opentelemetry-proto and python-snappy packages (the test
venv) and Debian's protoc."""

import base64
import json
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import snappy
from google.protobuf import descriptor_pb2, json_format, message_factory
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

REPO = Path(__file__).resolve().parents[1]
SEVERITY_NUMBERS = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}
SYSLOG_SEVERITIES = {"TRACE": 7, "DEBUG": 7, "INFO": 6, "WARN": 4, "ERROR": 3, "FATAL": 2}
SYSLOG_LOCAL0 = 16


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def epoch_ns(timestamp):
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def native(events):
    return "".join(compact(event) + "\n" for event in events).encode()


def elasticsearch_bulk(events):
    """ECS documents under `create` actions without ids, as Filebeat and Fluent Bit send them."""
    lines = []
    for event in events:
        lines.append(compact({"create": {"_index": "logs-bench"}}))
        lines.append(compact({"@timestamp": event["timestamp"], "message": event["message"],
                              "log": {"level": event["level"]},
                              "service": {"name": event["service"]},
                              "host": {"name": event["host"]}, "trace": {"id": event["trace_id"]},
                              "request_id": event["request_id"], "labels": event["labels"],
                              **event["payload"]}))
    return ("\n".join(lines) + "\n").encode()


def otlp_value(value):
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    return {"stringValue": str(value)}


def otlp_attributes(mapping):
    return [{"key": key, "value": otlp_value(value)} for key, value in mapping.items()]


def otlp_request(events, trace_id_of):
    """An export request with one resource per (service, host, labels), as an OpenTelemetry
    Collector batching many sources sends; `trace_id_of` writes an id in the encoding's form."""
    resources = {}
    for event in events:
        key = (event["service"], event["host"], compact(event["labels"]))
        records = resources.setdefault(key, [])
        records.append({
            "timeUnixNano": str(epoch_ns(event["timestamp"])),
            "severityText": event["level"],
            "severityNumber": SEVERITY_NUMBERS[event["level"]],
            "body": {"stringValue": event["message"]},
            "traceId": trace_id_of(event["trace_id"]),
            "attributes": otlp_attributes({"request_id": event["request_id"], **event["payload"]}),
        })
    return {"resourceLogs": [{
        "resource": {"attributes": otlp_attributes(
            {"service.name": service, "host.name": host, **json.loads(labels)})},
        "scopeLogs": [{"scope": {"name": "bench"}, "logRecords": records}],
    } for (service, host, labels), records in resources.items()]}


def otlp_json(events):
    return compact(otlp_request(events, lambda trace_id: trace_id)).encode()


def otlp_protobuf(events):
    as_base64 = lambda trace_id: base64.b64encode(bytes.fromhex(trace_id)).decode()  # noqa: E731
    return json_format.ParseDict(otlp_request(events, as_base64),
                                 ExportLogsServiceRequest()).SerializeToString()


def loki_streams(events):
    """Streams by label set (service_name, host and the event's labels), the level, trace id and
    payload as structured metadata, as Promtail or Alloy push them."""
    streams = {}
    for event in events:
        labels = {"service_name": event["service"], "host": event["host"], **event["labels"]}
        metadata = {"level": event["level"], "trace_id": event["trace_id"],
                    "request_id": event["request_id"],
                    **{key: str(value) for key, value in event["payload"].items()}}
        streams.setdefault(compact(labels), []).append(
            (epoch_ns(event["timestamp"]), event["message"], metadata))
    return streams


def loki_json(events):
    return compact({"streams": [
        {"stream": json.loads(labels),
         "values": [[str(time), line, metadata] for time, line, metadata in entries]}
        for labels, entries in loki_streams(events).items()]}).encode()


def loki_push_request_class():
    """logpipe.loki.PushRequest, built from the .proto the collector is built from."""
    with tempfile.TemporaryDirectory() as scratch:
        descriptor_file = Path(scratch) / "push.pb"
        subprocess.run(["protoc", f"-I{REPO / 'src'}", "-I/usr/include", "--include_imports",
                        f"--descriptor_set_out={descriptor_file}",
                        "collector/protocols/loki_push.proto"], check=True)
        files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_file.read_bytes())
    return message_factory.GetMessages(files.file)["logpipe.loki.PushRequest"]


def loki_protobuf_snappy(events, push_request_class):
    request = push_request_class()
    for labels, entries in loki_streams(events).items():
        label_text = "{" + ", ".join(f'{name}="{value}"'
                                     for name, value in json.loads(labels).items()) + "}"
        stream = request.streams.add(labels=label_text)
        for time, line, metadata in entries:
            entry = stream.entries.add(line=line)
            entry.timestamp.FromNanoseconds(time)
            for name, value in metadata.items():
                entry.structured_metadata.add(name=name, value=value)
    return snappy.compress(request.SerializeToString())


def splunk_hec(events):
    """HEC event objects back to back, the event an object (as the Splunk logging libraries and
    Fluent Bit's splunk output send it), the labels as indexed fields."""
    return "".join(compact({
        "time": epoch_ns(event["timestamp"]) / 1e9, "host": event["host"], "source": "bench",
        "sourcetype": "_json",
        "event": {"message": event["message"], "level": event["level"],
                  "service": event["service"], "trace_id": event["trace_id"],
                  "request_id": event["request_id"], **event["payload"]},
        "fields": event["labels"]}) for event in events).encode()


def sd_parameter_value(value):
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def syslog_rfc5424_octet_counted(events):
    """RFC 5424 messages with octet-counting framing (RFC 6587), as rsyslog's omfwd sends them
    with TCP_Framing="octet-counted"; the request id and payload as structured data."""
    frames = []
    for event in events:
        structured = {"request_id": event["request_id"], "trace_id": event["trace_id"],
                      **event["payload"]}
        parameters = " ".join(f'{name}="{sd_parameter_value(value)}"'
                              for name, value in structured.items())
        priority = SYSLOG_LOCAL0 * 8 + SYSLOG_SEVERITIES[event["level"]]
        message = (f"<{priority}>1 {event['timestamp']} {event['host']} {event['service']} - - "
                   f"[event@32473 {parameters}] {event['message']}").encode()
        frames.append(f"{len(message)} ".encode() + message)
    return b"".join(frames)


def encodings():
    """(name, path, headers, body maker) for every HTTP protocol measured."""
    push_request_class = loki_push_request_class()
    return [
        ("Elasticsearch _bulk", "/_bulk", {"Content-Type": "application/x-ndjson"},
         elasticsearch_bulk),
        ("OTLP protobuf", "/v1/logs", {"Content-Type": "application/x-protobuf"}, otlp_protobuf),
        ("OTLP JSON", "/v1/logs", {"Content-Type": "application/json"}, otlp_json),
        ("Loki protobuf+snappy", "/loki/api/v1/push", {"Content-Type": "application/x-protobuf"},
         lambda events: loki_protobuf_snappy(events, push_request_class)),
        ("Loki JSON", "/loki/api/v1/push", {"Content-Type": "application/json"}, loki_json),
        ("Splunk HEC", "/services/collector/event", {"Content-Type": "application/json"},
         splunk_hec),
    ]
