// Every file the CLI writes (issue 14 classes 1 and 2).
//
//  - Writes go through dln::AtomicFile (src/atomic_file.cpp, the library's
//    own implementation compiled in): a temporary in the same directory,
//    fsync, rename; a FIFO, device or symlink is refused, permissions of a
//    replaced file are kept, errors carry strerror.
//  - SIGINT/SIGTERM while a write is in progress remove its temporary, then
//    the process dies of the signal as it would have.
//  - Before any work, every output path is checked against every input path
//    and every other output path as the same file (device and inode, or the
//    canonical path of a file not yet there): no output destroys an input.
#ifndef DLN_CLI_OUTPUT_FILES_HPP
#define DLN_CLI_OUTPUT_FILES_HPP

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace dlncli {

// An argument naming a file: the option ("--data") and the path.
struct NamedPath {
  std::string option, path;
};

// Throws std::invalid_argument if an output is the same file as an input
// or as another output, naming both options and paths, or is something a
// write would refuse to replace (a FIFO, a device, a symlink).
void refuse_overlapping_paths(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs);

// Installs the SIGINT/SIGTERM handler (once, from main).
void install_interrupt_cleanup();

// The whole text written by `write`, atomically. Throws std::runtime_error.
void write_text_file(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_bytes_file(const std::string& path, const void* data, std::size_t size);

// A file another program writes by name (the plot script): `fill` gets the
// temporary's path, then the file is committed. Throws std::runtime_error.
void write_file_by_name(const std::string& path, const std::function<void(const std::string&)>& fill);

}  // namespace dlncli

#endif
