%% @doc A small OTP application for the recording agent's tests of process
%% selection by application: `es_app', whose supervisor runs one worker
%% that calls `es_fixture:tiny/1' when asked.
-module(es_fixture_app).
-behaviour(application).
-behaviour(supervisor).

-export([load/0, work/1, start/2, stop/1, init/1, start_worker/0]).

%% Loads `es_app' from a spec (no .app file needed).
load() ->
    case application:load({application, es_app,
                            [{description, "agent test application"}, {vsn, "1"},
                             {modules, [?MODULE]}, {registered, [es_app_worker]},
                             {applications, [kernel, stdlib]}, {mod, {?MODULE, []}}]}) of
        ok -> ok;
        {error, {already_loaded, es_app}} -> ok
    end.

%% Has the worker call es_fixture:tiny/1 N times; returns when done.
work(N) ->
    es_app_worker ! {work, N, self()},
    receive {done, N} -> ok end.

start(_, _) -> supervisor:start_link(?MODULE, []).
stop(_) -> ok.

init([]) ->
    {ok, {#{strategy => one_for_one},
          [#{id => worker, start => {?MODULE, start_worker, []}}]}}.

start_worker() ->
    Pid = spawn_link(fun worker/0),
    register(es_app_worker, Pid),
    {ok, Pid}.

worker() ->
    receive
        {work, N, From} ->
            es_fixture:calls(N, 1),
            From ! {done, N},
            worker()
    end.
