fn main() {
    std::process::exit(cbctl::run());
}
