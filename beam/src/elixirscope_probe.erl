%% @doc What ElixirScope first asks a node it attaches to.
%%
%% ElixirScope loads this module onto a running node over distribution
%% (`code:load_binary/3`, no file is written on the node) and calls
%% `info/0` to learn what it is talking to before choosing how to trace:
%%
%% ```
%% 1> elixirscope_probe:info().
%% #{node => 'app@host', otp_release => <<"25">>, erts_version => <<"13.1.5">>,
%%   elixir_version => <<"1.14.0">>, schedulers => 2, process_count => 61,
%%   uptime_ms => 1234, monotonic_time_ns => ..., system_time_ns => ...}
%% '''
%%
%% The module only reads; it starts nothing and changes nothing on the node.
-module(elixirscope_probe).

-export([info/0, elixir_version/0]).

%% @doc A map describing the running node. Binaries, not charlists, so that
%% Elixir and TypeScript print them as text.
-spec info() -> #{atom() => term()}.
info() ->
    {UptimeMs, _} = erlang:statistics(wall_clock),
    #{node => node(),
      otp_release => list_to_binary(erlang:system_info(otp_release)),
      erts_version => list_to_binary(erlang:system_info(version)),
      elixir_version => elixir_version(),
      schedulers => erlang:system_info(schedulers_online),
      process_count => erlang:system_info(process_count),
      uptime_ms => UptimeMs,
      monotonic_time_ns => erlang:monotonic_time(nanosecond),
      system_time_ns => erlang:system_time(nanosecond)}.

%% @doc The Elixir version loaded on the node, or `nil' when it runs no Elixir.
-spec elixir_version() -> binary() | nil.
elixir_version() ->
    case code:ensure_loaded('Elixir.System') of
        {module, _} -> 'Elixir.System':version();
        {error, _} -> nil
    end.
