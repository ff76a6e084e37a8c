"""``asyncconsole kafka``: topics and consumer groups, through Apache Kafka's CLI tools, and
a topic's records dumped by the traffic replayer in a Kubernetes pod."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ._app import state_of
from ._output import confirm, emit
from ._params import Duration
from ._run import load_environment, require, run_with_env
from ._selectors import kafka_selector_option, resolve_kafka

if TYPE_CHECKING:
    from ..environment import Environment
    from ..services.kafka import Kafka, TopicDump

__all__ = ["kafka"]

DEFAULT_TOPIC = "logging-traffic-topic"
DEFAULT_GROUP = "logging-group-default"
# the service's values, repeated so that `--help` imports no service module
DUMP_TOPIC = "capture-proxy"
DUMP_MODES = ("dump-raw", "dump-http", "dump-both")
DUMP_POD_TIMEOUT = 600.0


def _named(kind: str, default: str) -> Callable[[Any], Any]:
    """An optional NAME argument, with console_link's ``--<kind>-name`` option as an alias."""

    def decorate(func: Any) -> Any:
        func = click.option(
            f"--{kind}-name",
            f"{kind}_option",
            default=None,
            help=f"The {kind} (default {default}).",
        )(func)
        return click.argument(f"{kind}", required=False, default=None)(func)

    return decorate


def _pick(argument: str | None, option: str | None, default: str) -> str:
    if argument is not None and option is not None and argument != option:
        raise click.UsageError(f"Two different names given: {argument!r} and {option!r}")
    return argument or option or default


def _kafka(env: Environment) -> Kafka:
    assert env.kafka is not None
    return env.kafka


@click.group()
def kafka() -> None:
    """Topics and consumer groups of the Kafka cluster holding captured traffic."""


@kafka.command("create-topic")
@kafka_selector_option
@_named("topic", DEFAULT_TOPIC)
@click.pass_context
def create_topic(
    ctx: click.Context, kafka_selector: str | None, topic: str | None, topic_option: str | None
) -> None:
    """Create a topic.

    JSON: {"operation", "argv", "exit_code", "output", "stderr", "duration"}
    """
    state = state_of(ctx)
    resolve_kafka(kafka_selector)
    name = _pick(topic, topic_option, DEFAULT_TOPIC)

    async def body(env: Environment) -> Any:
        return await _kafka(env).create_topic(name)

    result = run_with_env(state, body, needs=("kafka",))
    emit(state, result.to_dict(), result.render().rstrip("\n"))


@kafka.command("delete-topic")
@kafka_selector_option
@_named("topic", DEFAULT_TOPIC)
@click.option("--acknowledge-risk", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def delete_topic(
    ctx: click.Context,
    kafka_selector: str | None,
    topic: str | None,
    topic_option: str | None,
    acknowledge_risk: bool,
) -> None:
    """Delete a topic and the traffic captured in it.

    JSON: as `kafka create-topic`.
    """
    state = state_of(ctx)
    resolve_kafka(kafka_selector)
    name = _pick(topic, topic_option, DEFAULT_TOPIC)
    env = load_environment(state)
    require(env, "kafka")
    confirm(
        f"Are you sure you want to delete the topic '{name}'? Its captured traffic is lost.",
        acknowledged=acknowledge_risk,
    )

    async def body(env: Environment) -> Any:
        return await _kafka(env).delete_topic(name)

    result = run_with_env(state, body, needs=("kafka",), env=env)
    emit(state, result.to_dict(), result.render().rstrip("\n"))


@kafka.command("list-topics")
@kafka_selector_option
@click.pass_context
def list_topics(ctx: click.Context, kafka_selector: str | None) -> None:
    """List the topics.

    JSON: {"topics": [names], "operation", "argv", "exit_code", "output", "stderr", "duration"}
    """
    state = state_of(ctx)
    resolve_kafka(kafka_selector)

    async def body(env: Environment) -> Any:
        return await _kafka(env).list_topics()

    result = run_with_env(state, body, needs=("kafka",))
    emit(state, {"topics": result.lines(), **result.to_dict()}, result.render().rstrip("\n"))


@kafka.command("list-consumer-groups")
@kafka_selector_option
@click.pass_context
def list_consumer_groups(ctx: click.Context, kafka_selector: str | None) -> None:
    """List the consumer groups.

    JSON: {"groups": [names], "operation", "argv", "exit_code", "output", "stderr", "duration"}
    """
    state = state_of(ctx)
    resolve_kafka(kafka_selector)

    async def body(env: Environment) -> Any:
        return await _kafka(env).list_consumer_groups()

    result = run_with_env(state, body, needs=("kafka",))
    emit(state, {"groups": result.lines(), **result.to_dict()}, result.render().rstrip("\n"))


@kafka.command("describe-consumer-group")
@kafka_selector_option
@_named("group", DEFAULT_GROUP)
@click.option("--no-time-lag", is_flag=True, help="Skip probing the record timestamps.")
@click.pass_context
def describe_consumer_group(
    ctx: click.Context,
    kafka_selector: str | None,
    group: str | None,
    group_option: str | None,
    no_time_lag: bool,
) -> None:
    """Describe a consumer group: offsets, lag, and how far behind in time it is.

    JSON: {"group", "total_lag", "partitions": [{"group", "topic", "partition",
    "current_offset", "log_end_offset", "lag"}], "time_lag": [{"topic", "partition",
    "probed_offset", "timestamp", "time_lag_seconds", "note"}] | null, "time_lag_note",
    "output"}
    """
    state = state_of(ctx)
    resolve_kafka(kafka_selector)
    name = _pick(group, group_option, DEFAULT_GROUP)

    async def body(env: Environment) -> Any:
        return await _kafka(env).describe_consumer_group(name, time_lag=not no_time_lag)

    result = run_with_env(state, body, needs=("kafka",))
    emit(state, result.to_dict(), result.render().rstrip("\n"))


@kafka.command("describe-topic-records")
@kafka_selector_option
@_named("topic", DEFAULT_TOPIC)
@click.pass_context
def describe_topic_records(
    ctx: click.Context, kafka_selector: str | None, topic: str | None, topic_option: str | None
) -> None:
    """Show the number of records in each partition of a topic.

    JSON: {"topic", "total", "partitions": [{"topic", "partition", "records"}], "output"}
    """
    state = state_of(ctx)
    resolve_kafka(kafka_selector)
    name = _pick(topic, topic_option, DEFAULT_TOPIC)

    async def body(env: Environment) -> Any:
        return await _kafka(env).describe_topic_records(name)

    result = run_with_env(state, body, needs=("kafka",))
    emit(state, result.to_dict(), result.render().rstrip("\n"))


@kafka.command("dump-topic-records")
@_named("topic", DUMP_TOPIC)
@click.option(
    "--mode",
    type=click.Choice(DUMP_MODES),
    default="dump-both",
    show_default=True,
    help="Raw records, reconstructed HTTP traffic, or both.",
)
@click.option("--start-offset", type=click.IntRange(min=0), default=None, help="First offset.")
@click.option("--end-offset", type=click.IntRange(min=0), default=None, help="Offset to stop at.")
@click.option(
    "--start-time", type=click.IntRange(min=0), default=None, help="Replayer --start-time."
)
@click.option("--end-time", type=click.IntRange(min=0), default=None, help="Replayer --end-time.")
@click.option(
    "--namespace",
    default=None,
    help="Namespace of the dump pod (default: the configured k8s deployments', else the "
    "kubeconfig context's).",
)
@click.option(
    "--pod-timeout",
    type=Duration(),
    default=DUMP_POD_TIMEOUT,
    show_default=True,
    help="Seconds the pod may take to become ready.",
)
@click.pass_context
def dump_topic_records(
    ctx: click.Context,
    topic: str | None,
    topic_option: str | None,
    mode: str,
    start_offset: int | None,
    end_offset: int | None,
    start_time: int | None,
    end_time: int | None,
    namespace: str | None,
    pod_timeout: float,
) -> None:
    """Print a topic's records, read by the traffic replayer in a one-shot Kubernetes pod.

    The pod runs the image of the ConfigMap migration-image-config (trafficReplayerImage),
    reads without a consumer group, and is deleted afterwards whatever happens.

    JSON: {"topic", "mode", "namespace", "pod", "image", "phase", "line_count", "lines",
    "duration"}
    """
    state = state_of(ctx)
    name = _pick(topic, topic_option, DUMP_TOPIC)

    def started(dump: TopicDump) -> None:
        image = f"image={dump.image}"
        bounds = [
            f"{flag}={value}"
            for flag, value in (
                ("start-offset", start_offset),
                ("end-offset", end_offset),
                ("start-time", start_time),
                ("end-time", end_time),
            )
            if value is not None
        ]
        click.echo(
            f"Launching dump pod '{dump.name}' (mode={mode}, topic={name}, "
            + ", ".join([image, *bounds])
            + ")"
        )
        click.echo(f"--- begin {name} dump ({mode}) ---")

    async def body(env: Environment) -> Any:
        return await _kafka(env).dump_topic_records(
            name,
            mode=mode,
            start_offset=start_offset,
            end_offset=end_offset,
            start_time=start_time,
            end_time=end_time,
            namespace=namespace,
            pod_timeout=pod_timeout,
            on_start=None if state.json else started,
            on_line=None if state.json else click.echo,
        )

    result = run_with_env(state, body, needs=("kafka",))
    emit(
        state,
        result.to_dict(),
        f"--- end {name} dump ---\nDump pod '{result.pod}' completed ({result.line_count} lines).",
    )
