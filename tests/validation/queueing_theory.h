#pragma once
// Exact results of queueing theory that the analytic validation tests compare against.

#include <cmath>
#include <vector>

namespace servesim::theory {

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered load a = lambda/mu.
inline double erlang_c(int c, double a) {
  double term = 1, sum = 1;  // sum_{k<c} a^k / k!
  for (int k = 1; k < c; ++k) {
    term *= a / k;
    sum += term;
  }
  const double last = term * a / c;  // a^c / c!
  const double rho = a / c;
  const double top = last / (1 - rho);
  return top / (sum + top);
}

/// Mean time in system of M/M/c: W = C(c, a) / (c mu - lambda) + 1 / mu.
inline double mmc_response(int c, double lambda, double mean_service) {
  const double mu = 1 / mean_service;
  return erlang_c(c, lambda / mu) / (c * mu - lambda) + mean_service;
}

/// Pollaczek-Khinchine: mean wait in queue of M/G/1 with service mean s and coefficient of
/// variation cv: Wq = lambda E[S^2] / (2 (1 - rho)), E[S^2] = s^2 (1 + cv^2).
inline double mg1_wait(double lambda, double s, double cv) {
  const double rho = lambda * s;
  return lambda * s * s * (1 + cv * cv) / (2 * (1 - rho));
}

/// Exact mean value analysis of a closed network of single-server FCFS exponential stations
/// with demands D_k, plus a delay (think) station Z, at population n. Returns {X, R}.
struct MvaResult {
  double throughput, response;
};
inline MvaResult mva(const std::vector<double>& demands, double think, int n) {
  std::vector<double> q(demands.size(), 0.0);
  MvaResult r{0, 0};
  for (int pop = 1; pop <= n; ++pop) {
    double total = 0;
    std::vector<double> resid(demands.size());
    for (std::size_t k = 0; k < demands.size(); ++k) {
      resid[k] = demands[k] * (1 + q[k]);
      total += resid[k];
    }
    r.throughput = pop / (think + total);
    r.response = total;
    for (std::size_t k = 0; k < demands.size(); ++k) q[k] = r.throughput * resid[k];
  }
  return r;
}

}  // namespace servesim::theory
