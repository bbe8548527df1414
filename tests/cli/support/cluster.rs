//! Throwaway clusters for tests: `syncctl::cluster` (the one `syncctl demo` runs on), with the
//! errors turned into panics that carry the server log, as a test wants them.

use std::ops::Deref;

pub(crate) use syncctl::cluster::{ClusterOptions, process_alive};

/// A throwaway cluster; dropping it stops the server and deletes its directories.
#[derive(Debug)]
pub(crate) struct Cluster(syncctl::cluster::Cluster);

impl Cluster {
    /// Creates, configures and starts a cluster; panics with the reason if it cannot.
    pub(crate) fn start(opts: ClusterOptions) -> Cluster {
        Cluster(syncctl::cluster::Cluster::start(opts).unwrap_or_else(|e| panic!("throwaway cluster: {e:#}")))
    }

    /// A hot standby of `primary`, streaming from it; panics with the reason if it cannot.
    pub(crate) fn standby_of(primary: &Cluster) -> Cluster {
        Cluster(syncctl::cluster::Cluster::standby_of(primary).unwrap_or_else(|e| panic!("standby: {e:#}")))
    }

    /// Promotes a standby to primary.
    pub(crate) fn promote(&self) {
        self.0.promote().unwrap_or_else(|e| panic!("promoting the standby: {e:#}\n{}", self.0.log()));
    }

    /// Stops the server abruptly, like a crash.
    pub(crate) fn stop_immediate(&self) {
        self.0.stop_immediate().unwrap_or_else(|e| panic!("stopping the throwaway cluster: {e:#}"));
    }

    /// Stops the server (fast mode) if it runs, then starts it again on the same port.
    pub(crate) fn restart(&self) {
        self.0.restart().unwrap_or_else(|e| panic!("restarting the throwaway cluster: {e:#}"));
    }
}

impl Deref for Cluster {
    type Target = syncctl::cluster::Cluster;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
