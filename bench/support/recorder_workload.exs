# The in-VM half of bench/recorder.ts: runs one of SampleApp.Bench's workloads a few times in this VM and
# prints each run's time, measured by the workload's own timer, under one of three set-ups:
#
#     mix run recorder_workload.exs MODE WORKLOAD N REPS [options]
#
#   plain   no tracing of our own: the untraced baseline, and the run under `elixirscope record` (the agent
#           preloaded by ERL_AFLAGS has set its tracing when this script starts; see --wait)
#   floor   the flags and patterns the agent would set for the plan, with every trace message sent to a
#           process that only counts and discards it: what the VM itself pays for tracing
#   dbg     the same flags and patterns through OTP's dbg and a file trace port, flushed and stopped after
#           each run
#
# Options: --messages / --procs / --callback-returns (the plan's capture switches, for floor and dbg),
# --state (floor only: also the agent's GenServer state capture, elixirscope_agent_starts and the sys debug
# function of elixirscope_agent_state, whose es_state messages go to the discarding process too, their sends
# left out of the trace as the agent leaves them out; needs the agent's ebin on the code path),
# --wait all|tally (plain under the recorder: first wait until every bench function, or only
# SampleApp.Bench.Calls.tally/2, has the agent's pattern),
# --report (print the patterns and process flags in force, to check that floor and record match),
# --memory (sample erlang:memory(total) every 2 ms during the runs; print the baseline and the peak).
#
# Output, one fact a line: `RUN <us>`, `EVENTS <n>` (floor: trace messages per run), `FLUSH <us>` and
# `BYTES <n>` (dbg), `PATTERNS <term>`, `FLAGS <term>`, `MEMORY <baseline> <peak>`, `TRACER <queue> <bytes>`.
defmodule ElixirScopeBench.Workload do
  @tracer_name :elixirscope_agent_session
  @marker {[:elixirscope_agent_marker], [], []}

  def main(argv) do
    {opts, [mode, workload, n, reps]} =
      OptionParser.parse!(argv,
        strict: [
          messages: :boolean,
          procs: :boolean,
          callback_returns: :boolean,
          state: :boolean,
          report: :boolean,
          memory: :boolean,
          wait: :string
        ]
      )

    n = String.to_integer(n)
    reps = String.to_integer(reps)
    modules = bench_modules()
    if opts[:wait], do: wait_traced(waited(opts[:wait], modules))
    if opts[:report] && mode == "plain", do: report(modules)
    sampler = if opts[:memory], do: start_sampler()

    for _ <- 1..reps do
      case mode do
        "plain" -> line("RUN", run(workload, n))
        "floor" -> floor(workload, n, modules, opts)
        "dbg" -> dbg(workload, n, modules, opts)
      end
    end

    if sampler do
      {base, peak, q, mem} = stop_sampler(sampler)
      line("MEMORY", "#{base} #{peak}")
      line("TRACER", "#{q} #{mem}")
    end
  end

  defp run("genserver", n), do: SampleApp.Bench.genserver(n)
  defp run("calls", n), do: SampleApp.Bench.calls(n)
  defp run("pingpong", n), do: SampleApp.Bench.pingpong(n)


  defp line(tag, value), do: IO.puts("#{tag} #{value}")

  # The modules a plan including "SampleApp.Bench.*" selects: SampleApp.Bench and those under it.
  defp bench_modules do
    {:ok, mods} = :application.get_key(:sample_app, :modules)

    for m <- mods,
        name = Atom.to_string(m),
        name == "Elixir.SampleApp.Bench" or String.starts_with?(name, "Elixir.SampleApp.Bench."),
        do: Code.ensure_loaded!(m)
  end

  # What the agent's selection and elixirscope_agent_trace:apply_plan/3 set for such a plan: one local
  # pattern per function (not the compiler's, not module_info/__info__), `{exception_trace}` on the OTP
  # callbacks when callback returns are wanted, the monitor BIFs' patterns with process events, and call +
  # arity (no arguments wanted), send + receive, procs and monotonic timestamps on every process.
  defp patterns(modules, opts) do
    functions =
      for m <- modules,
          callbacks = callbacks(m),
          {f, a} <- m.module_info(:functions),
          traceable?(f) do
        ret = opts[:callback_returns] != false and {f, a} in callbacks
        {{m, f, a}, ms(ret)}
      end

    functions ++ monitor_patterns(opts)
  end

  # With process events (--procs, the default), also the agent's patterns on the BIFs that make and remove
  # monitors (elixirscope_agent_trace:monitor_patterns/1): the arguments in the call's message, the reference
  # from the return, gen calls' alias monitors left out.
  defp monitor_patterns(opts) do
    made = [{:message, :"$_"}, {:return_trace}]
    args = [{:_, [], [{:message, :"$_"}]}, @marker]
    alias_first = [{:alias, :_} | :_]
    alias_second = [:_, {:alias, :_} | :_]

    monitor_opts = [
      [:monitor | :_],
      [:_, :monitor | :_],
      [:_, :_, :monitor | :_],
      [{:monitor, :_} | :_],
      [:_, {:monitor, :_} | :_]
    ]

    if opts[:procs] == false,
      do: [],
      else: [
        {{:erlang, :monitor, 2}, [{[:process, :_], [], made}, @marker]},
        {{:erlang, :monitor, 3},
         [
           {[:process, :_, alias_first], [], [{:message, false}]},
           {[:process, :_, alias_second], [], [{:message, false}]},
           {[:process, :_, :_], [], made},
           @marker
         ]},
        {{:erlang, :spawn_opt, 4}, for(o <- monitor_opts, do: {[:_, :_, :_, o], [], made}) ++ [@marker]},
        {{:erlang, :demonitor, 1}, args},
        {{:erlang, :demonitor, 2}, args}
      ]
  end

  @monitor_bifs [
    {:erlang, :monitor, 2},
    {:erlang, :monitor, 3},
    {:erlang, :spawn_opt, 4},
    {:erlang, :demonitor, 1},
    {:erlang, :demonitor, 2}
  ]

  defp ms(true), do: [{:_, [], [{:exception_trace}]}, @marker]
  defp ms(false), do: [{:_, [], []}, @marker]

  defp traceable?(f) do
    s = Atom.to_string(f)
    not String.starts_with?(s, "-") and s not in ["module_info", "__info__"]
  end

  defp callbacks(m) do
    behaviours = for {b, l} <- m.module_info(:attributes), b in [:behaviour, :behavior], x <- l, do: x

    if GenServer in behaviours or :gen_server in behaviours,
      do: [
        init: 1,
        handle_call: 3,
        handle_cast: 2,
        handle_info: 2,
        handle_continue: 2,
        terminate: 2,
        code_change: 3
      ],
      else: []
  end

  defp flags(opts) do
    [:monotonic_timestamp, :call, :arity] ++
      if(opts[:messages] != false, do: [:send, :receive], else: []) ++
      if opts[:procs] != false, do: [:procs], else: []
  end

  defp floor(workload, n, modules, opts) do
    sink = :erlang.spawn_opt(fn -> sink(0) end, [{:message_queue_data, :off_heap}])
    ps = patterns(modules, opts)
    for {mfa, ms} <- ps, do: :erlang.trace_pattern(mfa, ms, [:local])
    # As the agent sets `processes: all`: every existing process, and the processes to come through set_on_spawn.
    :erlang.trace(:existing_processes, true, [{:tracer, sink}, :set_on_spawn | flags(opts)])
    :erlang.trace(sink, false, [:all])
    watcher = if opts[:state], do: capture_states(sink)
    if opts[:report], do: report(modules)
    us = run(workload, n)
    if watcher, do: :elixirscope_agent_starts.stop(watcher)
    :erlang.trace(:all, false, [:all])
    :erlang.trace_pattern(:send, true, [])
    :erlang.trace_pattern(:receive, true, [])
    for {mfa, _} <- ps, do: :erlang.trace_pattern(mfa, false, [:local])
    ref = :erlang.trace_delivered(:all)

    receive do
      {:trace_delivered, :all, ^ref} -> :ok
    end

    send(sink, {:"$count", self()})

    receive do
      {:"$count", count} -> line("EVENTS", count)
    end

    line("RUN", us)
  end

  # What the agent sets for `state: all` with messages traced (elixirscope_agent_trace:send_ms/3, recv_ms/2
  # and elixirscope_agent_starts): GenServers that start are captured from their first callback, with the
  # plan's default max_term_bytes, and their es_state sends to the sink, the sys requests of the capture and
  # their answers are not traced.
  defp capture_states(sink) do
    ours = {:elixirscope_agent, :_}

    :erlang.trace_pattern(
      :send,
      [
        {[sink, :_], [], [{:message, false}]},
        {[:_, {ours, :_}], [], [{:message, false}]},
        {[:_, {:elixirscope_agent, :_, :_, :_}], [], [{:message, false}]},
        {:_, [], []},
        @marker
      ],
      []
    )

    :erlang.trace_pattern(
      :receive,
      [{[:_, :_, {:system, {:_, ours}, :_}], [], [{:message, false}]}, {:_, [], []}, @marker],
      []
    )

    :elixirscope_agent_starts.start(self(), sink, 4096, :counters.new(1, []))
  end

  defp sink(count) do
    receive do
      {:"$count", from} -> send(from, {:"$count", count})
      _ -> sink(count + 1)
    end
  end

  defp dbg(workload, n, modules, opts) do
    file = Path.join(System.tmp_dir!(), "es-bench-dbg-#{System.unique_integer([:positive])}.trace")
    {:ok, _} = :dbg.tracer(:port, :dbg.trace_port(:file, String.to_charlist(file)))
    ps = patterns(modules, opts)
    for {{m, f, a}, ms} <- ps, do: {:ok, _} = :dbg.tpl(m, f, a, ms)
    {:ok, _} = :dbg.p(:all, flags(opts))
    # dbg's own server process would otherwise trace its own messages.
    :erlang.trace(Process.whereis(:dbg), false, [:all])
    if opts[:report], do: report(modules)
    us = run(workload, n)
    {flush, :ok} = :timer.tc(fn -> :dbg.flush_trace_port() end)
    :dbg.stop()
    line("FLUSH", flush)
    line("BYTES", File.stat!(file).size)
    File.rm!(file)
    line("RUN", us)
  end

  # The bench modules load lazily, and the agent's watcher adds patterns for a module it sees loaded
  # within about 10 ms: wait until the functions the plan selects have their patterns, and this process
  # (traced like every process) has the call flag.
  defp waited("all", modules) do
    for m <- modules, {f, a} <- m.module_info(:functions), traceable?(f), do: {m, f, a}
  end

  defp waited("tally", _), do: [{SampleApp.Bench.Calls, :tally, 2}]

  # The agent sets a new plan's patterns before its process flags: wait for both.
  defp wait_traced(mfas, tries \\ 500) do
    {:flags, flags} = :erlang.trace_info(self(), :flags)

    cond do
      :call in flags and Enum.all?(mfas, &(:erlang.trace_info(&1, :traced) == {:traced, :local})) ->
        :ok

      tries == 0 ->
        IO.puts(:stderr, "the bench functions never got their trace patterns")

      true ->
        Process.sleep(10)
        wait_traced(mfas, tries - 1)
    end
  end

  defp report(modules) do
    ps =
      for m <- modules,
          {f, a} <- m.module_info(:functions),
          {:match_spec, ms} = :erlang.trace_info({m, f, a}, :match_spec),
          ms != false,
          do: {{m, f, a}, ms}

    bifs =
      for mfa <- @monitor_bifs,
          {:match_spec, ms} = :erlang.trace_info(mfa, :match_spec),
          ms != false,
          do: {mfa, ms}

    ps = ps ++ bifs

    {:flags, flags} = :erlang.trace_info(self(), :flags)
    line("PATTERNS", inspect(Enum.sort(ps), limit: :infinity))
    line("FLAGS", inspect(Enum.sort(flags)))
  end

  defp start_sampler do
    parent = self()
    base = :erlang.memory(:total)
    pid = :erlang.spawn_opt(fn -> sample(parent, {base, base, 0, 0}, 0) end, priority: :high)
    :erlang.trace(pid, false, [:all])
    pid
  end

  defp stop_sampler(pid) do
    send(pid, :stop)

    receive do
      {:sampled, result} -> result
    end
  end

  # Every 2 ms: the VM's memory and the agent tracer's mailbox; every 20 ms also the tracer's memory,
  # which costs time in proportion to its mailbox.
  defp sample(parent, {base, peak, q, mem} = acc, i) do
    receive do
      :stop -> send(parent, {:sampled, acc})
    after
      2 ->
        tracer = Process.whereis(@tracer_name)
        what = if rem(i, 10) == 0, do: [:message_queue_len, :memory], else: [:message_queue_len]

        {q1, m1} =
          case tracer && Process.info(tracer, what) do
            [message_queue_len: ql, memory: tm] -> {ql, tm}
            [message_queue_len: ql] -> {ql, 0}
            _ -> {0, 0}
          end

        acc = {base, max(peak, :erlang.memory(:total)), max(q, q1), max(mem, m1)}
        sample(parent, acc, i + 1)
    end
  end
end

ElixirScopeBench.Workload.main(System.argv())
