// The one binding file: zipcore._core. All Python work (checking buffers, allocating outputs)
// happens first; the engine then runs with the GIL released, re-taking it only inside the poll
// hook to run signal handlers and the progress callback.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>
#include <pybind11/pybind11.h>

#include <exception>
#include <utility>
#include <string>
#include <vector>

#include "build_info.hpp"
#include "errors.hpp"
#include "group_framing.hpp"
#include "group_measure.hpp"
#include "group_scorer.hpp"
#include "alignment.hpp"
#include "json_repr.hpp"
#include "parallel.hpp"
#include "pool_view.hpp"
#include "test_switches.hpp"
#include "zip_select.hpp"

namespace py = pybind11;
using zipcore::ByteSpan;
using zipcore::PoolView;

namespace {

using Offsets = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
using Indices = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;

// A pool over a caller's byte buffer, without copying it. The offsets are copied (8 bytes a
// sample) and validated here, with the GIL held: the engine then runs without the GIL, and a
// caller's thread that rewrote a shared offsets array meanwhile would point it outside the
// buffer. The bytes themselves are read in place; the buffer export keeps them alive and
// stops numpy or bytearray from resizing them, so a concurrent writer can change results but
// never make the engine read outside the buffer.
struct BoundPool {
  py::buffer_info data;
  std::vector<std::int64_t> offsets;
  PoolView view;

  BoundPool(const py::buffer& buffer, const Offsets& offs)
      : data(request_bytes(buffer)), offsets(copy_offsets(offs)), view(make_view(data, offsets)) {}

  static py::buffer_info request_bytes(const py::buffer& buffer) {
    py::buffer_info info = buffer.request();
    if (info.itemsize != 1 || info.ndim != 1 || (info.size > 1 && info.strides[0] != 1)) {
      throw zipcore::InvalidArgument(
          "pool data must be a contiguous 1-D byte buffer (bytes, or a uint8 numpy array); "
          "try numpy.ascontiguousarray(data, dtype=numpy.uint8)");
    }
    return info;
  }

  static std::vector<std::int64_t> copy_offsets(const Offsets& offsets) {
    if (offsets.ndim() != 1 || offsets.size() < 1) {
      throw zipcore::InvalidArgument("offsets must be a 1-D int64 array of N+1 entries");
    }
    return std::vector<std::int64_t>(offsets.data(), offsets.data() + offsets.size());
  }

  static PoolView make_view(const py::buffer_info& data, const std::vector<std::int64_t>& offsets) {
    return PoolView(static_cast<const std::uint8_t*>(data.ptr), static_cast<std::size_t>(data.size),
                    offsets.data(), offsets.size() - 1);
  }
};

zipcore::Codec parse_codec(const std::string& name) {
  if (name == "zlib") return zipcore::Codec::zlib;
  if (name == "zstd") return zipcore::Codec::zstd;
  throw zipcore::InvalidArgument("codec must be 'zlib' or 'zstd', got '" + name + "'");
}

void check_indices(const Indices& indices, std::size_t pool_size, const char* what) {
  for (py::ssize_t i = 0; i < indices.size(); ++i) {
    const std::int64_t v = indices.data()[i];
    if (v < 0 || static_cast<std::size_t>(v) >= pool_size) {
      throw zipcore::InvalidArgument(std::string(what) + " index " + std::to_string(v) +
                                     " is outside the pool of " + std::to_string(pool_size));
    }
  }
}

// select's progress(stage, round, done, total), done and total in evaluations.
void report_round_progress(const py::object& progress, const zipcore::Progress& p) {
  progress(p.stage, p.round, p.done, p.total);
}

// group_sizes's progress(done, total), in group bytes compressed.
void report_byte_progress(const py::object& progress, const zipcore::Progress& p) { progress(p.done, p.total); }

// Builds hooks that run Python signal handlers and, unless it is None, `progress` (through
// report(progress, p)) under the GIL. A Python exception raised there is kept in `error` and stops
// the run.
template <typename Report>
zipcore::RunHooks python_hooks(const py::object& progress, std::exception_ptr& error, Report report) {
  zipcore::RunHooks hooks;
  hooks.poll = [progress, &error, report](const zipcore::Progress& p) -> bool {
    py::gil_scoped_acquire gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (!progress.is_none()) report(progress, p);
      return true;
    } catch (...) {
      error = std::current_exception();
      return false;
    }
  };
  return hooks;
}

// Runs `work` with the GIL released. Afterwards (GIL held again) rethrows the Python error a hook
// kept, which is why the engine stopped, or else the engine's own error.
template <typename Work>
void run_without_gil(const std::exception_ptr& python_error, Work&& work) {
  std::exception_ptr engine_error;
  {
    py::gil_scoped_release nogil;
    try {
      work();
    } catch (...) {
      engine_error = std::current_exception();
    }
  }
  if (python_error) std::rethrow_exception(python_error);
  if (engine_error) std::rethrow_exception(engine_error);
}

void add_work_span(py::dict& d, const zipcore::WorkSpan& w) {
  d["work_seconds"] = w.work_seconds;
  d["span_seconds"] = w.span_seconds;
  d["serial_seconds"] = w.serial_seconds;
}

py::dict stage_dict(const zipcore::StageReport& s) {
  py::dict d;
  d["seconds"] = s.seconds;
  d["evaluations"] = s.evaluations;
  d["evaluated_bytes"] = s.evaluated_bytes;
  add_work_span(d, s);
  return d;
}

template <typename T>
py::array_t<T> to_numpy(const std::vector<T>& values) {
  py::array_t<T> out(static_cast<py::ssize_t>(values.size()));
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

py::dict report_dict(const zipcore::SelectReport& r) {
  py::array_t<std::int64_t> indices = to_numpy(r.order);
  py::list rounds;
  for (const auto& round : r.rounds) {
    py::dict d;
    d["round"] = round.round;
    d["candidates"] = round.candidates;
    d["shortlisted"] = round.shortlisted;
    d["picked"] = round.picked;
    d["selected"] = round.selected;
    d["pool_restored"] = round.pool_restored;
    d["ratio"] = round.ratio;
    d["stage2"] = stage_dict(round.stage2);
    d["stage3"] = stage_dict(round.stage3);
    add_work_span(d, round.total);
    rounds.append(d);
  }
  py::dict out;
  out["indices"] = indices;
  out["stage1"] = stage_dict(r.stage1);
  out["rounds"] = rounds;
  out["wall_seconds"] = r.wall_seconds;
  out["task_seconds"] = r.task_seconds;
  add_work_span(out, r.total);
  out["threads"] = r.threads;
  return out;
}

// A read-only numpy view of `values`, kept alive by `owner` (the ResumeState holding them).
template <typename T>
py::array_t<T> read_only_view(const std::vector<T>& values, const py::handle& owner) {
  py::array_t<T> view({static_cast<py::ssize_t>(values.size())}, {static_cast<py::ssize_t>(sizeof(T))},
                      values.data(), owner);
  view.attr("flags").attr("writeable") = false;
  return view;
}

template <typename T>
using Vector = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <typename T>
std::vector<T> copy_vector(const Vector<T>& array, const char* name) {
  if (array.ndim() != 1) {
    throw zipcore::InvalidArgument(std::string("ResumeState: '") + name + "' must be a 1-D array, got " +
                                   std::to_string(array.ndim()) + "-D");
  }
  return std::vector<T>(array.data(), array.data() + array.size());
}

zipcore::LoopState make_resume_state(const Vector<std::int64_t>& order, const Vector<float>& global,
                                     const Vector<float>& alone, const Vector<std::uint8_t>& eligible,
                                     std::int64_t available, std::int64_t rounds) {
  zipcore::LoopState state;
  state.order = copy_vector(order, "order");
  state.global = copy_vector(global, "global_");
  state.alone = copy_vector(alone, "alone");
  state.eligible = copy_vector(eligible, "eligible");
  state.available = available;
  state.rounds = rounds;
  return state;
}

// zipcore::LoopState as _core.ResumeState: built from arrays (copied), read through read-only
// views. The engine checks that a state belongs to the pool and parameters when it resumes.
void bind_resume_state(py::module_& m) {
  using zipcore::LoopState;
  py::class_<LoopState>(m, "ResumeState",
                        "The selection loop's state after a completed round: what a checkpoint holds and "
                        "select(resume=...) continues from.")
      .def(py::init(&make_resume_state), py::arg("order"), py::arg("global_"), py::arg("alone"),
           py::arg("eligible"), py::arg("available"), py::arg("rounds"))
      .def_property_readonly("order", [](py::object self) {
        return read_only_view(self.cast<const LoopState&>().order, self);
      }, "Pool indices selected so far, in selection order (int64).")
      .def_property_readonly("global_", [](py::object self) {
        return read_only_view(self.cast<const LoopState&>().global, self);
      }, "Every sample's latest score g: stage 1's, overwritten by stage 2's (float32).")
      .def_property_readonly("alone", [](py::object self) {
        return read_only_view(self.cast<const LoopState&>().alone, self);
      }, "Every sample's ratio alone, ratio([i]) (float32).")
      .def_property_readonly("eligible", [](py::object self) {
        return read_only_view(self.cast<const LoopState&>().eligible, self);
      }, "1 where a sample may still be a candidate (uint8).")
      .def_property_readonly("available", [](const LoopState& s) { return s.available; },
                             "Number of eligible samples.")
      .def_property_readonly("rounds", [](const LoopState& s) { return s.rounds; }, "Rounds completed.")
      .def("__repr__", [](const LoopState& s) {
        return "ResumeState(rounds=" + std::to_string(s.rounds) + ", selected=" + std::to_string(s.order.size()) +
               ", available=" + std::to_string(s.available) + ", pool=" + std::to_string(s.global.size()) + ")";
      });
}

py::dict run_select(const py::buffer& data, Offsets offsets, std::int64_t budget, std::int64_t k1,
                std::int64_t k2, std::int64_t k3, int threads, const std::string& codec, int level,
                const py::object& progress, const zipcore::LoopState* resume, const py::object& on_round) {
  BoundPool pool(data, offsets);
  zipcore::SelectParams params{budget, k1, k2, k3, threads, parse_codec(codec), level};
  zipcore::validate(params, pool.view.size());

  std::exception_ptr python_error;
  const zipcore::RunHooks hooks = python_hooks(progress, python_error, report_round_progress);
  zipcore::RoundCallback round_callback;
  if (!on_round.is_none()) {
    // Runs on the calling thread between rounds, never inside a parallel region.
    round_callback = [&on_round, &python_error](const zipcore::LoopState& state) {
      py::gil_scoped_acquire gil;
      try {
        on_round(zipcore::LoopState(state));  // a copy the callback may keep
      } catch (...) {
        python_error = std::current_exception();
        throw zipcore::Cancelled();
      }
    };
  }
  zipcore::SelectReport report;
  run_without_gil(python_error, [&] {
    report = zipcore::zip_select(pool.view, params, hooks, resume, round_callback);
  });
  if (!progress.is_none()) {
    const std::int64_t total = zipcore::planned_evaluations(pool.view.size(), params);
    const int rounds = report.rounds.empty() ? 0 : report.rounds.back().round;
    progress(3, rounds, total, total);
  }
  return report_dict(report);
}

// The members of one group given from Python: a 1-D integer array of pool indices, copied with
// the GIL held (as the offsets are).
std::vector<std::int64_t> copy_members(const py::handle& group, std::size_t g) {
  py::array array = py::array::ensure(group);
  const char kind = array ? array.dtype().kind() : '?';
  if (!array || array.ndim() != 1 || (array.size() > 0 && kind != 'i' && kind != 'u')) {
    throw zipcore::InvalidArgument("groups[" + std::to_string(g) +
                                   "] must be a 1-D integer array of pool indices");
  }
  if (array.size() == 0) return {};
  // A uint64 index above the int64 range wraps negative here and is refused as out of range.
  const Indices members = Indices::ensure(array);
  return std::vector<std::int64_t>(members.data(), members.data() + members.size());
}

// (raw, compressed) bytes of each group ("[" + r_a + ", " + r_b + ... + "]"), see group_measure.hpp.
// `groups` None: one group, the whole pool in pool order. `progress(done, total)` counts bytes.
py::list group_sizes(const py::buffer& data, Offsets offsets, const py::object& groups,
                     const std::string& codec, int level, const std::vector<std::int64_t>& chunk_sizes,
                     int threads, const py::object& progress) {
  BoundPool pool(data, offsets);
  std::vector<zipcore::GroupToMeasure> measured;
  if (groups.is_none()) {
    measured.emplace_back();
    measured.back().whole_pool = true;
  } else {
    std::size_t g = 0;
    for (const py::handle& group : groups) {
      measured.emplace_back();
      measured.back().members = copy_members(group, g++);
    }
  }
  if (chunk_sizes.size() != measured.size()) {
    throw zipcore::InvalidArgument("chunk_sizes must hold one chunk size per group: " +
                                   std::to_string(measured.size()) + " group(s), " +
                                   std::to_string(chunk_sizes.size()) + " chunk size(s)");
  }
  for (std::size_t g = 0; g < measured.size(); ++g) {
    if (chunk_sizes[g] < 0) {
      throw zipcore::InvalidArgument("chunk_sizes[" + std::to_string(g) +
                                     "] must be 0 (one exact stream) or a positive number of bytes, got " +
                                     std::to_string(chunk_sizes[g]));
    }
    measured[g].chunk_size = static_cast<std::uint64_t>(chunk_sizes[g]);
  }
  const zipcore::MeasureOptions options{parse_codec(codec), level, threads};
  zipcore::validate_measure(pool.view, measured, options);

  std::exception_ptr python_error;
  const zipcore::RunHooks hooks = python_hooks(progress, python_error, report_byte_progress);
  std::vector<zipcore::GroupSizes> sizes;
  run_without_gil(python_error, [&] { sizes = zipcore::measure_groups(pool.view, measured, options, hooks); });
  if (!progress.is_none()) {
    std::uint64_t total = 0;
    for (const auto& s : sizes) total += s.raw;
    progress(total, total);
  }
  py::list out;
  for (const auto& s : sizes) out.append(py::make_tuple(s.raw, s.compressed));
  return out;
}

py::tuple to_python(const zipcore::DictionarySizes& sizes) {
  return py::make_tuple(to_numpy(sizes.alone), to_numpy(sizes.explained));
}

py::array_t<double> to_python(const std::vector<double>& scores) { return to_numpy(scores); }

// Every source sample against the targets (alignment.hpp): `measure` is
// zipcore::zipfit_alignment (a score each) or zipcore::dictionary_sizes (two sizes each).
template <auto measure>
py::object alignment(const py::buffer& data, Offsets offsets, const py::buffer& target_data,
                     Offsets target_offsets, int level, int threads, const py::object& progress) {
  BoundPool sources(data, offsets);
  BoundPool targets(target_data, target_offsets);
  std::exception_ptr python_error;
  const zipcore::RunHooks hooks = python_hooks(progress, python_error, report_byte_progress);
  decltype(measure(sources.view, targets.view, level, std::declval<zipcore::ParallelRunner&>(),
                   std::declval<zipcore::Progress&>())) result;
  std::int64_t total = 0;
  run_without_gil(python_error, [&] {
    zipcore::ParallelRunner runner(threads, hooks);
    zipcore::Progress done;
    result = measure(sources.view, targets.view, level, runner, done);
    total = done.total;
  });
  if (!progress.is_none()) progress(total, total);  // the end, whatever the polls saw
  return to_python(result);
}

// For each candidate c: the compression ratio of the group anchor + [c], computed the way the
// selection loop does (the anchor prepared once, each candidate scored from it).
py::array_t<double> candidate_ratios(const py::buffer& data, Offsets offsets, Indices anchor,
                                     Indices candidates, int threads, const std::string& codec,
                                     int level) {
  BoundPool pool(data, offsets);
  check_indices(anchor, pool.view.size(), "anchor");
  check_indices(candidates, pool.view.size(), "candidate");
  const auto n = static_cast<std::size_t>(candidates.size());
  py::array_t<double> ratios(static_cast<py::ssize_t>(n));
  double* out = ratios.mutable_data();
  const std::int64_t* cand = candidates.data();
  // The zstd scorer's window is sized from this bound (one separator per member, the candidate's
  // own bytes left out: kept as it is, since a different window would change zstd's results).
  std::size_t anchor_bytes = zipcore::kGroupOpen.size + zipcore::kGroupClose.size;
  for (py::ssize_t i = 0; i < anchor.size(); ++i) {
    anchor_bytes += pool.view.sample(anchor.data()[i]).size + zipcore::kGroupSeparator.size;
  }
  const zipcore::CodecOptions options{parse_codec(codec), level, anchor_bytes, threads};

  std::exception_ptr python_error;
  const zipcore::RunHooks hooks = python_hooks(py::none(), python_error, report_byte_progress);
  run_without_gil(python_error, [&] {
    auto group = zipcore::make_group_scorer(options);
    for (py::ssize_t i = 0; i < anchor.size(); ++i) group->append(pool.view.sample(anchor.data()[i]));
    group->prepare();
    zipcore::ParallelRunner runner(threads, hooks);
    zipcore::Progress progress;
    runner.run(static_cast<std::int64_t>(n), [&](std::int64_t i) {
      out[i] = group->ratio_with(pool.view.sample(cand[i]));
    }, progress);
  });
  return ratios;
}

py::dict build_info() {
  const zipcore::EngineBuildInfo info = zipcore::engine_build_info();
  py::dict d;
  d["zlib_compiled"] = info.zlib_compiled;
  d["zlib_linked"] = info.zlib_linked;
  d["zstd"] = info.zstd;
  d["zstd_max_level"] = info.zstd_max_level;
  d["openmp"] = info.openmp;
  d["default_threads"] = info.default_threads;
  d["compiler"] = info.compiler;
  d["version"] = ZIPCORE_VERSION;
  return d;
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "zipcore's compiled engine; use the zipcore package, not this module.";

  // InvalidArgument derives from std::invalid_argument, which pybind11 already maps to ValueError.
  py::register_exception<zipcore::DataError>(m, "ZipcoreError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const zipcore::Cancelled&) {
      PyErr_SetNone(PyExc_KeyboardInterrupt);
    }
  });

  // The group framing (group_framing.hpp): "[" + r_a + ", " + r_b + "]".
  auto bytes_of = [](zipcore::ByteSpan span) {
    return py::bytes(reinterpret_cast<const char*>(span.data), span.size);
  };
  m.attr("GROUP_OPEN") = bytes_of(zipcore::kGroupOpen);
  m.attr("GROUP_SEPARATOR") = bytes_of(zipcore::kGroupSeparator);
  m.attr("GROUP_CLOSE") = bytes_of(zipcore::kGroupClose);

  bind_resume_state(m);
  m.def("select", &run_select, py::arg("data"), py::arg("offsets"), py::arg("budget"), py::arg("k1"),
        py::arg("k2"), py::arg("k3"), py::arg("threads"), py::arg("codec"), py::arg("level"),
        py::arg("progress"), py::arg("resume") = nullptr, py::arg("on_round") = py::none());
  m.def("group_sizes", &group_sizes, py::arg("data"), py::arg("offsets"), py::arg("groups"), py::arg("codec"),
        py::arg("level"), py::arg("chunk_sizes"), py::arg("threads"), py::arg("progress") = py::none());
  m.def("candidate_ratios", &candidate_ratios, py::arg("data"), py::arg("offsets"), py::arg("anchor"),
        py::arg("candidates"), py::arg("threads"), py::arg("codec"), py::arg("level"));
  m.def("zipfit_alignment", &alignment<&zipcore::zipfit_alignment>, py::arg("data"), py::arg("offsets"),
        py::arg("target_data"), py::arg("target_offsets"), py::arg("level"), py::arg("threads"),
        py::arg("progress") = py::none(),
        "ZIP-FIT's alignment score of each source sample with the targets: the mean over targets "
        "of 1 - NCD with gzip sizes at `level` (see alignment.hpp).");
  m.def("dictionary_sizes", &alignment<&zipcore::dictionary_sizes>, py::arg("data"), py::arg("offsets"),
        py::arg("target_data"), py::arg("target_offsets"), py::arg("level"), py::arg("threads"),
        py::arg("progress") = py::none(),
        "(C(x), C(x | targets)) of each source sample, int64 zstd sizes at `level`, alone and with "
        "a dictionary of the targets (see alignment.hpp).");
  m.def("gzip_size", [](const py::bytes& a, const py::bytes& b, int level) {
    const std::string_view x = a, y = b;
    zipcore::GzipSizer sizer(level);
    return sizer.size(ByteSpan{reinterpret_cast<const std::uint8_t*>(x.data()), x.size()},
                      ByteSpan{reinterpret_cast<const std::uint8_t*>(y.data()), y.size()});
  }, py::arg("a"), py::arg("b") = py::bytes(), py::arg("level") = 9,
  "len(gzip.compress(a + b, level)), as the alignment engine sizes it (tests).");
  m.def("build_info", &build_info);
  m.def("json_object_repr", [](const py::bytes& text) -> py::object {
    const std::string_view view = text;  // no copy: the bytes object outlives the call
    thread_local std::string out;
    const ByteSpan span{reinterpret_cast<const std::uint8_t*>(view.data()), view.size()};
    if (!zipcore::python_repr_of_json_object(span, out)) return py::none();
    return py::bytes(out);
  }, py::arg("text"),
  "repr(json.loads(text)).encode() for one JSON object, or None where Python's repr must decide "
  "(non-ASCII text, floats, repeated or many keys, deep nesting, text JSON refuses).");
  m.def("_set_shortcut_verification", &zipcore::set_shortcut_verification, py::arg("on"),
        "Tests only: check every shortcut zlib evaluation against the plain one.");
  m.def("_shortcut_counts", [] {
    const zipcore::ShortcutCounts counts = zipcore::shortcut_counts();
    return py::make_tuple(counts.shortcut, counts.plain);
  }, "zlib candidate evaluations so far: (by the shortcut, by a plain state copy).");
}
