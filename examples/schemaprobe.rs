fn main() {
    print!("{}", threatc::model::v1::schema_json());
}
