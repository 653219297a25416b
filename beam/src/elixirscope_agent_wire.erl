%% @doc The agent's end of the collector socket: frames in, frames out.
%%
%% Every frame is one `term_to_binary/1' term behind a 4-byte big-endian
%% length (`{packet, 4}'). The agent connects to the collector, which
%% listens on a loopback port and waits for exactly one agent:
%%
%% ```
%%   agent                                  collector
%%   {hello, 1, Token, Info}      ───────▶  checks Token
%%                                ◀───────  accepted | {refused, Why} (then closes)
%%   {events, Seq, [Event]}       ───────▶  (many)
%%   {drops, Count, Reason}       ───────▶
%%   {pattern_disabled, Source, Reason} ─▶
%%   {plan_applied, Plan, Applied} ──────▶  after a {plan, Plan}
%%   {plan_rejected, Why}         ───────▶
%%   {stopped, Reason, Stats}     ───────▶  last frame; then the agent closes
%%                                ◀───────  {plan, Plan} | stop | kill
%% '''
%%
%% == Why port_command with nosuspend ==
%%
%% `gen_tcp:send/2' suspends the sender while the socket's queue is above
%% its high watermark, and then waits for the driver's reply with a
%% selective receive that scans the whole mailbox: on a tracer with a long
%% mailbox that stalls for seconds, while the mailbox keeps growing. Events
%% frames are written with `erlang:port_command(Socket, Bin, [nosuspend])'
%% instead: it never blocks, and returns `false' when the queue is full, in
%% which case the caller drops the frame and counts it (`collector_busy').
%% The driver's `{inet_reply, Socket, Status}' answers arrive as ordinary
%% messages, which the tracer discards (or stops on, for an error). The
%% queue may hold up to 16 MiB (about 200,000 small events) before it counts
%% as full, which absorbs a collector's pauses; the kernel's send buffer is
%% left to its own sizing. The port's own message queue (data handed over
%% while the port is busy on another scheduler) gets an 8 MiB limit instead
%% of the default 8 KiB, which a single batch of a thousand events exceeds:
%% with the default, a batch written at the wrong moment would be refused
%% although the socket had room. Only the hello and
%% the final frames, sent when no tracing is active, use the blocking send,
%% with a five-second send timeout.
-module(elixirscope_agent_wire).

-export([connect/2, send_async/2, send_sync/2, verdict/1, command/1, close/1, hello/4]).

-define(OPTIONS, [binary, {packet, 4}, {active, once}, {nodelay, true}, {send_timeout, 5000},
                  {send_timeout_close, true}, {high_watermark, 16 * 1024 * 1024},
                  {low_watermark, 8 * 1024 * 1024}, {high_msgq_watermark, 8 * 1024 * 1024},
                  {low_msgq_watermark, 4 * 1024 * 1024}]).

%% @doc Connects to the collector (five-second timeout).
-spec connect(inet:hostname() | inet:ip_address(), inet:port_number()) ->
    {ok, gen_tcp:socket()} | {error, term()}.
connect(Host, Port) ->
    gen_tcp:connect(Host, Port, ?OPTIONS, 5000).

%% @doc Writes an encoded frame without ever blocking: `busy' when the
%% socket's queue is full, `closed' when the socket is gone.
-spec send_async(gen_tcp:socket(), binary()) -> ok | busy | closed.
send_async(Sock, Bin) ->
    try erlang:port_command(Sock, Bin, [nosuspend]) of
        true -> ok;
        false -> busy
    catch error:_ -> closed
    end.

%% @doc Writes a frame, waiting for room (used only when no tracing is on).
-spec send_sync(gen_tcp:socket(), term()) -> ok | {error, term()}.
send_sync(Sock, Term) ->
    gen_tcp:send(Sock, term_to_binary(Term)).

%% @doc Waits for the collector's answer to the hello (five seconds at
%% most): `accepted', `{refused, Why}' (a sentence: a wrong token, say),
%% or `{closed, Why}' when the connection ended or nothing came.
-spec verdict(gen_tcp:socket()) -> accepted | {refused, binary()} | {closed, term()}.
verdict(Sock) ->
    receive
        {tcp, Sock, Data} ->
            _ = inet:setopts(Sock, [{active, once}]),
            case command(Data) of
                accepted -> accepted;
                {refused, Why} -> {refused, Why};
                Other -> {closed, {unexpected, Other}}
            end;
        {tcp_closed, Sock} -> {closed, closed};
        {tcp_error, Sock, Why} -> {closed, Why}
    after 5000 ->
        {closed, timeout}
    end.

%% @doc Decodes a frame from the collector. The collector is the process
%% that received our hello over a connection we opened, so atoms in a plan
%% (module names not loaded yet) may be created.
-spec command(binary()) -> {plan, term()} | stop | kill | accepted | {refused, binary()} | {unknown, term()}.
command(Bin) ->
    try binary_to_term(Bin) of
        {plan, Plan} -> {plan, Plan};
        accepted -> accepted;
        {refused, Why} when is_binary(Why) -> {refused, Why};
        stop -> stop;
        kill -> kill;
        Other -> {unknown, Other}
    catch error:badarg -> {unknown, Bin}
    end.

%% @doc Closes after the peer has read everything: half-closes our side
%% (which waits for queued data to be written), then waits up to two
%% seconds for the collector to close its side.
-spec close(gen_tcp:socket()) -> ok.
close(Sock) ->
    _ = gen_tcp:shutdown(Sock, write),
    _ = inet:setopts(Sock, [{active, true}]),
    wait_closed(Sock, erlang:monotonic_time(millisecond) + 2000),
    gen_tcp:close(Sock).

wait_closed(Sock, Deadline) ->
    Left = max(0, Deadline - erlang:monotonic_time(millisecond)),
    receive
        {tcp_closed, Sock} -> ok;
        {tcp_error, Sock, _} -> ok;
        {tcp, Sock, _} -> wait_closed(Sock, Deadline)
    after Left -> ok
    end.

%% @doc The first frame: who we are, the clocks, and the plan as applied.
%% `StartedNs' is the monotonic clock when the session began to apply its
%% plan, before any of its events.
-spec hello(binary(), elixirscope_agent_plan:plan(), map(), integer()) -> tuple().
hello(Token, Plan, Applied, StartedNs) ->
    {hello, 1, Token,
     #{node => node(), otp_release => list_to_binary(erlang:system_info(otp_release)),
       elixir_version => elixir_version(), session => self(),
       time_offset_ns => erlang:time_offset(nanosecond),
       monotonic_ns => StartedNs, plan => Plan, applied => Applied,
       registered => registered_processes(), applications => application_processes(),
       behaviours => elixirscope_agent_census:behaviour_processes(),
       monitors => monitors(Plan)}}.

%% The monitors the traced processes hold when recording starts, when the
%% plan records process events (later ones are call events of
%% `erlang:monitor/2,3'). The tracer is the one calling this.
monitors(#{process_events := true}) -> elixirscope_agent_trace:monitors(self());
monitors(_) -> [].

%% The processes registered when recording starts, so that the collector
%% can name them: later registrations are `register' trace events.
%% The agent's own (`elixirscope_agent_session', ..., `elixirscope_app')
%% are not part of the recording.
registered_processes() ->
    [{Name, Pid} || Name <- erlang:registered(), not elixirscope_agent_trace:agent_name(Name),
                    Pid <- [erlang:whereis(Name)], is_pid(Pid)].

%% The application of each process running when recording starts, told by
%% its group leader (an application's master); processes started later
%% inherit their parent's.
application_processes() ->
    Masters = maps:from_list([{M, App} || {App, _, _} <- application:which_applications(),
                                          M <- [application_controller:get_master(App)], is_pid(M)]),
    [{P, App} || P <- erlang:processes(),
                 {group_leader, GL} <- [erlang:process_info(P, group_leader)],
                 App <- [maps:get(GL, Masters, undefined)], App =/= undefined].

elixir_version() ->
    case code:ensure_loaded('Elixir.System') of
        {module, _} -> 'Elixir.System':version();
        {error, _} -> nil
    end.
