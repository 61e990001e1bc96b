// Writes the seed corpus of fuzz_checkpoint (fuzz/corpus/checkpoint/): a few
// small valid checkpoints, each twice (mode byte 0: as is; 1: CRCs fixed up
// by the harness). Run by hand after a format change:
//   build-fuzz/fuzz/make_checkpoint_corpus fuzz/corpus/checkpoint
#include <cstdio>
#include <string>
#include <vector>

#include "dlnsgd.h"

static void write(const std::string &dir, const std::string &name, dln_model *m) {
  int64_t size = 0;
  dln_save_buffer(m, nullptr, 0, &size);
  std::vector<unsigned char> b(size_t(size) + 1);
  dln_save_buffer(m, b.data() + 1, size, &size);
  for (unsigned char mode : {0, 1}) {
    b[0] = mode;
    std::string path = dir + "/" + name + (mode ? "-fixcrc" : "-raw");
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) return;
    std::fwrite(b.data(), 1, b.size(), f);
    std::fclose(f);
  }
  dln_destroy(m);
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  dln_model *m = nullptr;
  const int64_t w1[2] = {2, 3};
  dln_create(1, w1, 5, &m);
  write(dir, "fresh-depth1", m);

  const int64_t w3[4] = {3, 2, 2, 4};
  dln_create(3, w3, 7, &m);
  double std = 0.7;
  dln_init_weights(m, DLN_INIT_GAUSSIAN, 1, &std);
  const int64_t r[5] = {0, 1, 2, 3, 1}, c[5] = {0, 1, 2, 0, 2};
  const double v[5] = {1.0, -0.5, 0.25, 2.0, 0.0};
  dln_set_observations(m, 5, r, c, v);
  dln_set_test_observations(m, 2, r, c, v);
  const int64_t subset[2] = {1, 3};
  dln_set_sample_subset(m, 2, subset);
  dln_set_param(m, DLN_PARAM_LEARNING_RATE, 0.1);
  dln_set_param(m, DLN_PARAM_RIDGE, 0.05);
  dln_set_param(m, DLN_PARAM_SAMPLER, DLN_SAMPLER_WITHOUT_REPLACEMENT);
  dln_set_param(m, DLN_PARAM_BATCH_SIZE, 2);
  dln_set_param(m, DLN_PARAM_JUMP_INTERVAL, 1);
  const double pw[4] = {3, 0.5, 10, 0.1}, cosine[2] = {0.1, 20};
  dln_set_schedule(m, DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, 4, pw);
  dln_set_schedule(m, DLN_PARAM_RIDGE, DLN_SCHEDULE_COSINE, 2, cosine);
  dln_step(m, 12);
  write(dir, "depth3-data-schedules", m);

  const int64_t w2[3] = {3, 3, 3};
  dln_create(2, w2, 9, &m);
  double scale = 1.0;
  dln_init_weights(m, DLN_INIT_IDENTITY, 1, &scale);
  std::vector<int64_t> rr, cc;
  std::vector<double> vv, truth(9, 0.0);
  truth[0] = 1.0;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 3; ++j) rr.push_back(i), cc.push_back(j), vv.push_back(i == 0 && j == 0 ? 1.0 : 0.0);
  dln_set_observations(m, 9, rr.data(), cc.data(), vv.data());
  dln_set_ground_truth(m, truth.data());
  dln_set_param(m, DLN_PARAM_SAMPLER, DLN_SAMPLER_FULL_BATCH);
  dln_set_param(m, DLN_PARAM_LEARNING_RATE, 0.5);
  dln_set_param(m, DLN_PARAM_RIDGE, 0.2);
  dln_set_param(m, DLN_PARAM_JUMP_INTERVAL, 1);
  dln_set_param(m, DLN_PARAM_JUMP_RTOL, 0.1);
  const double decay[2] = {0.9, 5};
  dln_set_schedule(m, DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_STEP_DECAY, 2, decay);
  dln_step(m, 30);
  int64_t jumps = 0;
  dln_jump_count(m, &jumps);
  std::printf("depth2 jumps: %lld\n", (long long)jumps);
  write(dir, "depth2-truth-jumps", m);
  return 0;
}
