%% @doc A module the recording agent's tests load again while it is traced.
-module(es_fixture_reload).
-export([calls/1, tiny/1]).

tiny(X) -> X.

%% N calls of tiny/1.
calls(0) -> ok;
calls(N) -> _ = tiny(N), calls(N - 1).
